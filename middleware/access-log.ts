import type { Context, MiddlewareHandler } from 'hono'
import { clientIp } from '#lib/errors.ts'
import { currentRssMb } from '#lib/memory.ts'
import { nativeResponse } from '#lib/final-headers.ts'
import type { AccessRecord } from '#lib/access-line.ts'
import { bodyForLog, redactUrl } from '#lib/redact.ts'
import { type Stage, stageMiddleware } from './core.ts'

export interface AccessLogSink {
  /** One request's record; its fields in the order the line lists them. */
  info(record: AccessRecord): void
}

export interface AccessLogOptions {
  /** Where lines go; defaults to the access logger (`flyer_access_logfile`). */
  sink: AccessLogSink
  /** Longest logged body/URL/User-Agent, in characters. */
  maxField?: number
  now?: () => number
  /** Wall clock for `timeStamp` (ms since the epoch). */
  clock?: () => number
}

const clip = (v: string | undefined, max: number) => (v === undefined ? '' : v.length > max ? `${v.slice(0, max)}…` : v)

/** The request body as far as the app read it: never reads it itself. */
const readBody = (c: Context): unknown => {
  const cache = c.req.bodyCache as { json?: unknown; text?: unknown }
  return cache.json instanceof Promise || cache.text instanceof Promise ? c.get('loggedBody') : undefined
}

/** Only URLs with credentials or a query can hold a secret; the rest skip the two regex passes. */
const safeUrl = (url: string) => (url.includes('?') || url.includes('@') || url.includes('&') ? redactUrl(url) : url)

/**
 * `toISOString()` of the current millisecond, formatted once per millisecond: a busy worker logs dozens
 * of lines in each.
 */
const isoClock = (clock: () => number) => {
  let lastMs = Number.NaN
  let lastIso = ''
  return () => {
    const ms = clock()
    if (ms !== lastMs) {
      lastMs = ms
      lastIso = new Date(ms).toISOString()
    }
    return lastIso
  }
}

/**
 * The access-log stage of `core()`: one JSON line per request with the original's fields (timeStamp,
 * latency, clientIp, memoryUsage, logId, Url, clientId, xForwardedFor, userAgent) plus method, status,
 * code, msg and the redacted body. Lines are buffered and written asynchronously, so the request never
 * waits for the disk.
 */
export const accessLogStage = ({ sink, maxField = 2048, now = () => performance.now(), clock = Date.now }: AccessLogOptions): Stage<number> => {
  const timeStamp = isoClock(clock)
  return {
    enter: (c) => c.get('startedAt') ?? now(),
    leave(c, start) {
      const status = c.res.status
      const code = c.get('code') ?? (status < 400 ? 200 : status)
      // Under serveNode, node:http's own header object: no Headers lookups.
      const headers = nativeResponse(c.env)?.req.headers
      const header = (name: string) => (headers ? (headers[name] as string | undefined) : c.req.header(name))
      const record: AccessRecord = {
        timeStamp: timeStamp(),
        latency: Math.round((now() - start) * 1000) / 1000,
        clientIp: clip(clientIp(c), 64),
        memoryUsage: currentRssMb(),
        logId: c.get('requestId'),
        Url: clip(safeUrl(c.req.url), maxField),
        method: c.req.method,
        status,
        code,
        msg: c.get('msg') ?? (status < 400 ? 'success' : ''),
        clientId: clip(header('x-client-id'), 128),
        xForwardedFor: clip(header('x-forwarded-for'), 256),
        userAgent: clip(header('user-agent'), 512),
        body: bodyForLog(readBody(c), maxField),
      }
      sink.info(record)
    },
  }
}

/**
 * One JSON line per request (see `accessLogStage`). `createApp` runs it as a stage of `core()`; this is
 * the same as a middleware of its own.
 * @example
 * app.use(accessLog({ sink: accessLogger() }))
 */
export const accessLog = (options: AccessLogOptions): MiddlewareHandler => stageMiddleware('accessLog', accessLogStage(options))

declare module 'hono' {
  interface ContextVariableMap {
    /** The parsed request body, set by the JSON body parser for the access log. */
    loggedBody: unknown
  }
}
