import type { Context } from 'hono'
import type { Options as KyOptions } from 'ky'
import type { z } from 'zod'
import { ErrorCode, FlyerError } from './errors.ts'
import { logger } from './logger.ts'
import { bodyForLog, redactHeaders, redactUrl } from './redact.ts'

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'

export interface HttpClientOptions {
  /** Prepended to relative URLs: `createHttpClient({ prefixUrl: 'http://cmdb.internal/api' }).get('hosts')`. */
  prefixUrl?: string
  /** Sent with every request. */
  headers?: Record<string, string>
  /** One attempt's limit (until the response headers arrive). */
  timeoutMs?: number
  /** The whole call's limit, retries and waits included. */
  deadlineMs?: number
  /** Retries after the first attempt, for idempotent methods only. */
  retries?: number
  /** First retry delay; doubles per retry (500 ms, 1 s, 2 s…) up to `backoffLimitMs`. */
  backoffMs?: number
  backoffLimitMs?: number
  /** Characters of request/response bodies kept in the log. */
  logBodyChars?: number
  /** Where call lines go; the app logger (pino) fits. */
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void }
  /** The fetch to use (tests, proxies). */
  fetch?: typeof fetch
}

export interface RequestOptions<S extends z.ZodType = z.ZodType> {
  /** Sent as JSON (with Content-Type). */
  json?: unknown
  body?: BodyInit
  searchParams?: Record<string, string | number | boolean | undefined> | URLSearchParams
  headers?: Record<string, string>
  /** The inbound request's logId, sent as X-Request-ID and logged. `inbound(c)` fills it. */
  logId?: string
  /** Aborts the call, e.g. when the inbound request is gone. `inbound(c)` fills it. */
  signal?: AbortSignal
  timeoutMs?: number
  deadlineMs?: number
  retries?: number
  /** `false`: a 4xx/5xx answer is returned instead of thrown (after retries). */
  throwHttpErrors?: boolean
  /** Checks the JSON answer; a mismatch is a 40002 naming the fields. */
  schema?: S
}

export interface HttpResult<T> {
  status: number
  headers: Headers
  /** Parsed JSON when the answer is JSON, else the text. */
  data: T
  attempts: number
}

/** An outbound call that failed; the envelope shows code 40002. */
export class UpstreamError extends FlyerError {
  constructor(
    message: string,
    readonly upstreamStatus: number | undefined,
    readonly attempts: number,
    cause?: unknown,
  ) {
    super(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, message, cause === undefined ? {} : { cause })
    this.name = 'UpstreamError'
  }
}

const IDEMPOTENT = ['get', 'put', 'head', 'delete', 'options', 'trace'] as KyOptions['method'][] as never[]
const RETRY_STATUSES = [429, 500, 502, 503, 504]

class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`deadline of ${ms} ms exceeded`)
    this.name = 'DeadlineExceeded'
  }
}

const retryAfterMs = (res: Response): number | undefined => {
  const h = res.headers.get('retry-after')
  if (!h) return undefined
  const secs = Number(h)
  return Number.isFinite(secs) ? secs * 1000 : Math.max(0, Date.parse(h) - Date.now())
}

const readSome = async (res: Response, max: number): Promise<string> => {
  const reader = res.body?.getReader()
  if (!reader) return ''
  const decoder = new TextDecoder()
  let text = ''
  try {
    while (text.length <= max) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } finally {
    reader.cancel().catch(() => undefined)
  }
  return text
}

/** A body for the log: JSON is parsed so secret-looking fields are redacted, then cut to `max`. */
const logBody = (text: string, max: number): string | undefined => {
  try {
    return bodyForLog(JSON.parse(text) as unknown, max)
  } catch {
    return bodyForLog(text, max)
  }
}

const describeFailure = (err: unknown): string => {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))
}

export interface HttpClient {
  request<T = unknown, S extends z.ZodType = z.ZodType>(method: HttpMethod, url: string, options?: RequestOptions<S>): Promise<HttpResult<unknown extends T ? z.output<S> : T>>
  get<T = unknown, S extends z.ZodType = z.ZodType>(url: string, options?: RequestOptions<S>): Promise<HttpResult<unknown extends T ? z.output<S> : T>>
  post<T = unknown, S extends z.ZodType = z.ZodType>(url: string, options?: RequestOptions<S>): Promise<HttpResult<unknown extends T ? z.output<S> : T>>
  put<T = unknown, S extends z.ZodType = z.ZodType>(url: string, options?: RequestOptions<S>): Promise<HttpResult<unknown extends T ? z.output<S> : T>>
  patch<T = unknown, S extends z.ZodType = z.ZodType>(url: string, options?: RequestOptions<S>): Promise<HttpResult<unknown extends T ? z.output<S> : T>>
  delete<T = unknown, S extends z.ZodType = z.ZodType>(url: string, options?: RequestOptions<S>): Promise<HttpResult<unknown extends T ? z.output<S> : T>>
}

// ky loads with the first outbound call, not at start-up (an ES module: a dynamic import).
let kyModule: Promise<typeof import('ky')> | undefined
const loadKy = () => (kyModule ??= import('ky'))

/**
 * Outbound HTTP on ky: 8 s per attempt, retries with backoff (500 ms, 1 s, 2 s) on network errors,
 * timeouts, 429 and 5xx for idempotent methods only, Retry-After honoured, a total deadline, every
 * attempt logged with secrets redacted, the logId sent as X-Request-ID. Failures throw `UpstreamError`
 * (code 40002 in the envelope).
 */
export const createHttpClient = ({
  prefixUrl,
  headers: baseHeaders = {},
  timeoutMs: defaultTimeout = 8000,
  deadlineMs: defaultDeadline = 30_000,
  retries: defaultRetries = 3,
  backoffMs = 500,
  backoffLimitMs = 4000,
  logBodyChars = 1024,
  log,
  fetch: baseFetch = globalThis.fetch,
}: HttpClientOptions = {}): HttpClient => {
  const request = async (method: HttpMethod, url: string, o: RequestOptions = {}): Promise<HttpResult<never>> => {
    const { default: ky, HTTPError } = await loadKy()
    const timeoutMs = o.timeoutMs ?? defaultTimeout
    const deadlineMs = o.deadlineMs ?? defaultDeadline
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(new DeadlineExceeded(deadlineMs)), deadlineMs)
    const endsAt = Date.now() + deadlineMs
    const signal = o.signal ? AbortSignal.any([o.signal, deadline.signal]) : deadline.signal
    const shown = redactUrl(prefixUrl && !/^[a-z]+:\/\//i.test(url) ? `${prefixUrl.replace(/\/$/, '')}/${url}` : url)
    const requestBody = o.json !== undefined ? bodyForLog(o.json, logBodyChars) : typeof o.body === 'string' ? logBody(o.body, logBodyChars) : undefined
    const headers = { ...baseHeaders, ...o.headers, ...(o.logId ? { 'X-Request-ID': o.logId } : {}) }
    let attempts = 0
    let lastStatus: number | undefined

    const loggingFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      attempts++
      const started = performance.now()
      const line = { logId: o.logId, http: { method, url: shown, attempt: attempts, headers: redactHeaders(headers), requestBody } }
      try {
        const res = await baseFetch(input, init)
        lastStatus = res.status
        const latencyMs = Math.round(performance.now() - started)
        const responseBody = res.status >= 400 ? logBody(await readSome(res.clone(), logBodyChars * 4), logBodyChars) : undefined
        const level = res.status >= 400 ? 'warn' : 'info'
        log?.[level]({ ...line, http: { ...line.http, status: res.status, latencyMs, responseBody } }, `${method} ${shown} ${res.status} ${latencyMs}ms`)
        return res
      } catch (err) {
        const latencyMs = Math.round(performance.now() - started)
        log?.warn({ ...line, http: { ...line.http, latencyMs, error: describeFailure(err) } }, `${method} ${shown} failed after ${latencyMs}ms: ${describeFailure(err)}`)
        throw err
      }
    }

    const fail = (what: string, status?: number, cause?: unknown) =>
      new UpstreamError(`upstream ${method} ${shown} ${what}${attempts > 1 ? ` (${attempts} attempts)` : ''}`, status, attempts, cause)

    try {
      const res = await ky(url, {
        method,
        prefixUrl,
        headers,
        json: o.json,
        body: o.body,
        searchParams: o.searchParams as KyOptions['searchParams'],
        signal,
        timeout: timeoutMs,
        throwHttpErrors: o.throwHttpErrors ?? true,
        fetch: loggingFetch as typeof fetch,
        retry: {
          limit: o.retries ?? defaultRetries,
          methods: IDEMPOTENT,
          statusCodes: RETRY_STATUSES,
          afterStatusCodes: [429, 503],
          retryOnTimeout: true,
          delay: (n) => backoffMs * 2 ** (n - 1),
          backoffLimit: backoffLimitMs,
          shouldRetry: ({ error, retryCount }) => {
            if (signal.aborted) return false
            const remaining = endsAt - Date.now()
            const asked = error instanceof HTTPError ? retryAfterMs(error.response) : undefined
            // A pause longer than what is left of the deadline: fail now rather than at the deadline.
            const pause = asked ?? Math.min(backoffMs * 2 ** (retryCount - 1), backoffLimitMs)
            return pause < remaining ? undefined : false
          },
        },
      })
      const type = res.headers.get('content-type') ?? ''
      const text = method === 'HEAD' ? '' : await res.text()
      let data: unknown = text
      if (/[/+]json\b/i.test(type) && text !== '') {
        try {
          data = JSON.parse(text)
        } catch (err) {
          throw fail(`answered malformed JSON (${res.status})`, res.status, err)
        }
      }
      if (o.schema) {
        const parsed = o.schema.safeParse(data)
        if (!parsed.success) {
          const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
          throw fail(`answered an unexpected body: ${issues}`, res.status)
        }
        data = parsed.data
      }
      return { status: res.status, headers: res.headers, data: data as never, attempts }
    } catch (err) {
      if (err instanceof UpstreamError) throw err
      if (err instanceof HTTPError) throw fail(`answered ${err.response.status} ${err.response.statusText}`.trimEnd(), err.response.status, err)
      if (deadline.signal.aborted) throw fail(`exceeded its ${deadlineMs} ms deadline`, lastStatus, err)
      if (o.signal?.aborted) throw fail('was cancelled: the inbound request went away', lastStatus, err)
      if ((err as Error)?.name === 'TimeoutError') throw fail(`timed out after ${timeoutMs} ms`, undefined, err)
      throw fail(`failed: ${describeFailure(err)}`, undefined, err)
    } finally {
      clearTimeout(timer)
    }
  }
  const client: HttpClient = {
    request: request as HttpClient['request'],
    get: ((url: string, o?: RequestOptions) => request('GET', url, o)) as HttpClient['get'],
    post: ((url: string, o?: RequestOptions) => request('POST', url, o)) as HttpClient['post'],
    put: ((url: string, o?: RequestOptions) => request('PUT', url, o)) as HttpClient['put'],
    patch: ((url: string, o?: RequestOptions) => request('PATCH', url, o)) as HttpClient['patch'],
    delete: ((url: string, o?: RequestOptions) => request('DELETE', url, o)) as HttpClient['delete'],
  }
  return client
}

/**
 * The logId and abort signal of the inbound request, for outbound calls made while serving it.
 * @example
 * const { data } = await http().get('http://cmdb.internal/api/hosts', { ...inbound(c), schema: CmdbHosts })
 */
export const inbound = (c: Context): Pick<RequestOptions, 'logId' | 'signal'> => ({ logId: c.get('requestId'), signal: c.req.raw.signal })

let client: HttpClient | undefined

/**
 * The process's HTTP client (the original's `Requests`), logging through the app logger.
 * @example
 * import { http, inbound } from '#lib/http-client.ts'
 * const { data } = await http().get<{ version: string }>('http://deploy.internal/version', inbound(c))
 */
export const http = (): HttpClient => (client ??= createHttpClient({ log: logger() }))
