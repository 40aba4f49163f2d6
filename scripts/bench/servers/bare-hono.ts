// Baseline: bare Hono with the health check (and a bare JSON POST as a yardstick), on @hono/node-server under Node or on Bun.serve under Bun.
// `--contract`: the health check with Flyer's four headers set by a plain middleware (bare-app.ts `contractApp`).
// `--spin-us=<µs>`: the health check does that much busy work first (bare-app.ts `BareOptions`).
// `node bare-hono.mjs [--contract | --spin-us=<µs>] <port>` / `bun bare-hono.ts [--contract | --spin-us=<µs>] <port>`
import { bareApp, contractApp } from './bare-app.ts'

const args = process.argv.slice(2)
const spinUs = Number(args.find((a) => a.startsWith('--spin-us='))?.slice('--spin-us='.length) ?? 0)
const app = args.includes('--contract') ? contractApp() : bareApp({ spinUs })

const port = Number(args.find((a) => !a.startsWith('--')) ?? 8080)
const bun = (globalThis as { Bun?: { serve(o: object): unknown } }).Bun
if (bun) bun.serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
else {
  const { serve } = await import('@hono/node-server')
  serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
}
