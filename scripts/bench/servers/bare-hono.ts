// Baseline: bare Hono with the health check (and a bare JSON POST as a yardstick), on @hono/node-server under Node or on Bun.serve under Bun.
// `node bare-hono.mjs <port>` / `bun bare-hono.ts <port>`
import { bareApp } from './bare-app.ts'

const app = bareApp()

const port = Number(process.argv[2] ?? 8080)
const bun = (globalThis as { Bun?: { serve(o: object): unknown } }).Bun
if (bun) bun.serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
else {
  const { serve } = await import('@hono/node-server')
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
}
