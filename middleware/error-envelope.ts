import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ZodError } from 'zod'
import { ErrorCode, FlyerError, GENERIC_500, errorResponse, type ErrorCodeValue } from '#lib/errors.ts'

export interface ErrorEnvelopeOptions {
  /** `flyer_http_errors=1`: proper 4xx/5xx statuses instead of HTTP 200 with the code. */
  httpErrors: boolean
  /** Where full error details go, under the request's logId. */
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void }
}

/**
 * `msg` for a schema failure: each bad field's path and what was expected, never the submitted value.
 * @example
 * issuesToMessage('body', err) // "body.msgContent: Invalid input: expected string, received undefined"
 */
export const issuesToMessage = (target: string, error: ZodError): string =>
  error.issues
    .slice(0, 20)
    .map((i) => `${[target, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ')

const TARGET_NAMES: Record<string, string> = { json: 'body', form: 'body', param: 'path', query: 'query', header: 'header', cookie: 'cookie' }

/** The `defaultHook` of every route: validation failures become code 40000 naming each field. */
export const validationHook =
  ({ httpErrors }: Pick<ErrorEnvelopeOptions, 'httpErrors'>) =>
  (result: { success: boolean; error?: ZodError; target: string }, c: Context): Response | undefined => {
    if (result.success || !result.error) return undefined
    return errorResponse(c, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, issuesToMessage(TARGET_NAMES[result.target] ?? result.target, result.error), {
      httpErrors,
    })
  }

const fromHttpException = (err: HTTPException): { code: ErrorCodeValue; msg: string; status: number } => {
  const status = err.status
  if (status === 413) return { code: ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, msg: 'Request body too large', status }
  if (status === 415) return { code: ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, msg: 'Unsupported Media Type: send application/json', status }
  if (status < 500) return { code: ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, msg: err.message || 'Bad request', status }
  return { code: ErrorCode.INNER_SELF_ERROR, msg: GENERIC_500, status }
}

/**
 * `app.onError`: every thrown error becomes the envelope. 5xx answers say what happened without stack or
 * secrets; the full error is logged with the same logId.
 */
export const onError = ({ httpErrors, log }: ErrorEnvelopeOptions): ErrorHandler =>
  function onError(err, c) {
    const logId = c.get('requestId')
    if (err instanceof FlyerError) {
      if (err.code === ErrorCode.INNER_SELF_ERROR || err.code === ErrorCode.VALIDATE_RESPONSE_CODE_ERROR) log.error({ logId, err }, err.message)
      const msg = err.expose ? err.message : GENERIC_500
      const status = err.status ?? (httpErrors ? err.httpStatus : undefined)
      return errorResponse(c, err.code, msg, { status, headers: err.headers, httpErrors })
    }
    if (err instanceof HTTPException) {
      // Hono middleware (basicAuth) may carry a finished response: keep it.
      if (err.res) return err.res
      const { code, msg, status } = fromHttpException(err)
      if (status >= 500) log.error({ logId, err }, 'request failed')
      // The original's clients read `code`: client errors go out as HTTP 200 unless flyer_http_errors=1.
      const keepStatus = status === 413 || status === 401 || status >= 500 || httpErrors
      return errorResponse(c, code, msg, { status: keepStatus ? status : 200, httpErrors })
    }
    if (clientWentAway(c, err)) {
      // Nobody is listening for the answer: not a server fault, so no error-level line.
      log.warn({ logId, reason: (err as Error).message }, 'client closed the connection before the response')
      return errorResponse(c, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, 'Client closed the request', { status: 400, httpErrors })
    }
    log.error({ logId, err }, 'unhandled error in handler')
    return errorResponse(c, ErrorCode.INNER_SELF_ERROR, GENERIC_500, { status: httpErrors ? 500 : 200, httpErrors })
  }

const clientWentAway = (c: Context, err: unknown): boolean =>
  c.req.raw.signal.aborted || (err as { code?: string }).code === 'ECONNRESET' || (err as Error).message === 'aborted'

/** `app.notFound`: 404 with the envelope. */
export const notFound = ({ httpErrors }: Pick<ErrorEnvelopeOptions, 'httpErrors'>): NotFoundHandler =>
  function notFound(c) {
    return errorResponse(c, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, `Not Found: ${c.req.method} ${c.req.path.slice(0, 256)}`, { status: 404, httpErrors })
  }
