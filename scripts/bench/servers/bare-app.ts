// The bare-Hono baseline app, shared by the loopback server (bare-hono.ts) and the in-process driver:
// the health check, and a POST that only reads its small JSON body (the runtime's own cost of a body).
import { Hono } from 'hono'

export const bareApp = () => {
  const app = new Hono()
  app.get('/flyer/v1/health_check', (c) => c.json({ msg: 'success', code: 200 }, 200))
  app.post('/flyer/v1/demo', async (c) => {
    const body = await c.req.json<{ msgContent?: unknown }>()
    return c.json({ code: 200, msg: `Hello ${String(body.msgContent)}!` }, 200)
  })
  return app
}
