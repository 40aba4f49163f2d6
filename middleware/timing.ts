import type { MiddlewareHandler } from 'hono'
import { currentRssMb } from '#lib/memory.ts'

export interface TimingOptions {
  now?: () => number
  memory?: () => number
}

/**
 * X-Lasting-Time (whole ms spent in the app), X-Memory-Usage (the worker's RSS in MiB, sampled in the
 * background) and X-Content-Type-Options: nosniff on every response.
 * @example
 * app.use(timing())
 */
export const timing = ({ now = () => performance.now(), memory = currentRssMb }: TimingOptions = {}): MiddlewareHandler =>
  async function timing(c, next) {
    const start = now()
    c.set('startedAt', start)
    await next()
    c.header('X-Lasting-Time', String(Math.round(now() - start)))
    c.header('X-Memory-Usage', `${memory()}MB`)
    c.header('X-Content-Type-Options', 'nosniff')
  }

declare module 'hono' {
  interface ContextVariableMap {
    startedAt: number
  }
}
