// The bare-Hono baseline app, shared by the loopback server (bare-hono.ts) and the in-process driver:
// the health check, and a POST that only reads its small JSON body (the runtime's own cost of a body).
import { type Context, Hono } from 'hono'
import { currentRssMb } from '../../../lib/memory.ts'

const healthCheck = (c: Context) => c.json({ msg: 'success', code: 200 }, 200)

/** Busy work for `us` microseconds of the clock: CPU spent per request as a framework would spend it. */
export const spin = (us: number): void => {
  const end = performance.now() + us / 1000
  while (performance.now() < end);
}

export interface BareOptions {
  /**
   * Busy work before the health check answers, in µs: bare Hono made as slow as a Flyer row, with none of
   * its work — the yardstick that tells latency lost to being slower (longer queues behind each of the
   * machine's stalls) from latency Flyer adds of its own (pauses, timers).
   */
  spinUs?: number
}

export const bareApp = ({ spinUs = 0 }: BareOptions = {}) => {
  const app = new Hono()
  app.get('/flyer/v1/health_check', spinUs > 0 ? (c) => (spin(spinUs), healthCheck(c)) : healthCheck)
  app.post('/flyer/v1/demo', async (c) => {
    const body = await c.req.json<{ msgContent?: unknown }>()
    return c.json({ code: 200, msg: `Hello ${String(body.msgContent)}!` }, 200)
  })
  return app
}

/**
 * The bare health check plus Flyer's header contract and nothing else, set the plain way: one middleware
 * reading X-Request-ID (or making a UUID) and setting the four headers on the response in place after
 * `await next()`, the RSS from Flyer's own background sampler (lib/memory.ts). On Bun that is about the
 * least the contract can cost: a floor under Flyer's health-check rows. On Node, @hono/node-server 2 keeps such a response on
 * its fast path but hands node:http a Headers object to copy and format; Flyer writes the four into the
 * header block itself (lib/native-headers.ts). (`c.header()` after `await next()` would instead rebuild
 * the Response around a stream — the warning.)
 */
export const contractApp = () => {
  const app = new Hono()
  app.use(async (c, next) => {
    const id = c.req.header('x-request-id') || crypto.randomUUID()
    const start = performance.now()
    await next()
    // In place: `c.header()` on a finished response would copy the Response first.
    const headers = c.res.headers
    headers.set('X-Request-ID', id)
    headers.set('X-Lasting-Time', String(Math.round(performance.now() - start)))
    headers.set('X-Memory-Usage', `${currentRssMb()}MB`)
    headers.set('X-Content-Type-Options', 'nosniff')
  })
  app.get('/flyer/v1/health_check', healthCheck)
  return app
}
