// Baseline: bare Hono with the health check (and a bare JSON POST as a yardstick), on @hono/node-server under Node or on Bun.serve under Bun.
// `node bare-hono.mjs <port>` / `bun bare-hono.ts <port>`
import { Hono } from 'hono'

const app = new Hono()
app.get('/flyer/v1/health_check', (c) => c.json({ msg: 'success', code: 200 }, 200))
// What reading a small JSON body costs the runtime itself, as a yardstick for Flyer's POST rows.
app.post('/flyer/v1/demo', async (c) => {
  const body = await c.req.json<{ msgContent?: unknown }>()
  return c.json({ code: 200, msg: `Hello ${String(body.msgContent)}!` }, 200)
})

const port = Number(process.argv[2] ?? 8080)
const bun = (globalThis as { Bun?: { serve(o: object): unknown } }).Bun
if (bun) bun.serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
else {
  const { serve } = await import('@hono/node-server')
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
}
