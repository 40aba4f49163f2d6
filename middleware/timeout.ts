import type { Context, MiddlewareHandler } from 'hono'
import { ErrorCode, FlyerError } from '#lib/errors.ts'

export interface TimeoutOptions {
  /** How long a request may run, in milliseconds (`flyer_timeout` × 1000). */
  ms: number
}

/**
 * `flyer_timeout`: a request still running after `ms` is answered with the envelope — code 50000,
 * "Request timed out after N s", HTTP 200 (504 with `flyer_http_errors=1`) — and its signal aborts, so
 * the handler's upstream calls stop instead of running on unseen. 50000 rather than 40002: the budget
 * exceeded is this service's own; a handler whose upstream call times out first answers 40002 itself.
 * @example
 * app.use(timeout({ ms: 60_000 }))
 */
export const timeout = ({ ms }: TimeoutOptions): MiddlewareHandler => {
  if (!Number.isFinite(ms) || ms <= 0) throw new TypeError(`timeout: ms must be a positive number, got ${ms}`)
  const seconds = Math.round(ms / 100) / 10
  return async function timeout(c, next) {
    const controller = new AbortController()
    c.set('timeoutSignal', controller.signal)
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new FlyerError(ErrorCode.INNER_SELF_ERROR, `Request timed out after ${seconds} s`, { httpStatus: 504, expose: true })
        controller.abort(err)
        reject(err)
      }, ms)
    })
    try {
      await Promise.race([next(), expired])
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * The request's abort signal: fires when the client disconnects or `flyer_timeout` passes. Hand it to
 * every upstream call (fetch, ky, MySQL, Redis) so a cut-loose request stops its work.
 * @example
 * const res = await fetch(cmdbUrl, { signal: requestSignal(c) })
 */
export const requestSignal = (c: Context): AbortSignal => {
  const cached = c.get('signal')
  if (cached) return cached
  const timeoutSignal = c.get('timeoutSignal')
  const signal = timeoutSignal ? AbortSignal.any([c.req.raw.signal, timeoutSignal]) : c.req.raw.signal
  c.set('signal', signal)
  return signal
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Aborts at `flyer_timeout`; use `requestSignal(c)`, which also covers client disconnects. */
    timeoutSignal: AbortSignal
    /** Set by `requestSignal(c)`. */
    signal: AbortSignal
  }
}
