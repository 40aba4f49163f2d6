import type { MiddlewareHandler } from 'hono'
import { currentRssMb } from '#lib/memory.ts'
import { nativeResponse, setFinalHeaders } from '#lib/final-headers.ts'
import { type Stage, stageMiddleware } from './core.ts'

export interface TimingOptions {
  now?: () => number
  memory?: () => number
}

/**
 * The timing stage of `core()`: X-Lasting-Time (whole ms spent in the app), X-Memory-Usage (the worker's
 * RSS in MiB, sampled in the background) and X-Content-Type-Options: nosniff on every response. Under
 * `serveNode` the server writes them (`lib/native-headers.ts`) and this only records the start;
 * elsewhere they are set on the finished response in place.
 */
export const timingStage = ({ now = () => performance.now(), memory = currentRssMb }: TimingOptions = {}): Stage<number> => ({
  enter(c) {
    const native = nativeResponse(c.env)
    const start = native ? native.startedAt : now()
    c.set('startedAt', start)
    return start
  },
  leave(c, start) {
    if (nativeResponse(c.env)) return
    setFinalHeaders(c, {
      'X-Lasting-Time': String(Math.round(now() - start)),
      'X-Memory-Usage': `${memory()}MB`,
      'X-Content-Type-Options': 'nosniff',
    })
  },
})

/**
 * X-Lasting-Time, X-Memory-Usage and X-Content-Type-Options: nosniff on every response. `createApp` runs
 * it as a stage of `core()`; this is the same as a middleware of its own.
 * @example
 * app.use(timing())
 */
export const timing = (options: TimingOptions = {}): MiddlewareHandler => stageMiddleware('timing', timingStage(options))

declare module 'hono' {
  interface ContextVariableMap {
    startedAt: number
  }
}
