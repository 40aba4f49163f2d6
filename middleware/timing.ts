import type { Context, MiddlewareHandler, Next } from 'hono'
import { currentRssMb } from '#lib/memory.ts'
import { nativeResponse, setFinalHeaders } from '#lib/native-headers.ts'

export interface TimingOptions {
  now?: () => number
  memory?: () => number
}

/**
 * X-Lasting-Time (whole ms spent in the app), X-Memory-Usage (the worker's RSS in MiB, sampled in the
 * background) and X-Content-Type-Options: nosniff on every response. Under `serveNode` the server writes
 * them (`lib/native-headers.ts`) and this only records the start; elsewhere they are set on the finished
 * response in place.
 * @example
 * app.use(timing())
 */
export const timing = ({ now = () => performance.now(), memory = currentRssMb }: TimingOptions = {}): MiddlewareHandler => {
  const setAfter = async (c: Context, next: Next) => {
    const start = now()
    c.set('startedAt', start)
    await next()
    setFinalHeaders(c, {
      'X-Lasting-Time': String(Math.round(now() - start)),
      'X-Memory-Usage': `${memory()}MB`,
      'X-Content-Type-Options': 'nosniff',
    })
  }
  // Not async: under serveNode it only records the start, and an async wrapper would cost a promise.
  return function timing(c, next) {
    const native = nativeResponse(c.env)
    if (!native) return setAfter(c, next)
    c.set('startedAt', native.startedAt)
    return next()
  }
}

declare module 'hono' {
  interface ContextVariableMap {
    startedAt: number
  }
}
