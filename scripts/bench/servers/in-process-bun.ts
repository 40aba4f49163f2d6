// In-process driver for Bun: the app's `fetch` called with Request objects made in memory, 64 "connections"
// each sending its next request when the previous answer came. No sockets, no kernel, no load generator,
// and none of Bun.serve's own work (parsing the request, writing the response): the CPU time per request
// is Bun's Request and Response objects, the framework and the app, which a shared machine disturbs far
// less than a loopback run. `server.requestIP()` answers from memory here (a fixed address): in Bun.serve
// it is a getpeername() system call per request, which only the loopback rows include. Prints one JSON
// line, as in-process.ts does. `bun in-process-bun.ts <bare|dist dir> <GET|POST> <path> [body] [seconds]`; with
// FLYER_BENCH_COUNT set it counts requests instead of seconds (drive.ts, shared with in-process.ts).
import { readdirSync } from 'node:fs'
import { bareApp } from './bare-app.ts'
import { drive, Load } from './drive.ts'

const [target = 'bare', method = 'GET', path = '/flyer/v1/health_check', body = '', seconds = '3'] = process.argv.slice(2)

type Fetch = (req: Request, env?: object) => Response | Promise<Response>
let fetchApp: Fetch
if (target === 'bare') {
  fetchApp = bareApp().fetch
} else {
  // The Flyer build's app, configured by the environment like a worker.
  const chunks = `${target}/chunks`
  const name = readdirSync(chunks).find((n) => n.startsWith('app-') && n.endsWith('.mjs'))
  if (!name) throw new Error(`no app-*.mjs in ${chunks}: run npm run build`)
  const { buildApp } = (await import(`${chunks}/${name}`)) as { buildApp: () => { fetch: Fetch } }
  fetchApp = buildApp().fetch
}

/** What Bun.serve passes the app as `env`, as far as Flyer uses it. */
const server = { requestIP: () => ({ address: '127.0.0.1', family: 'IPv4', port: 40000 }) }
const url = `http://127.0.0.1${path}`
const headers: Record<string, string> = { host: '127.0.0.1', 'user-agent': 'bench' }
if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) })
const request = () => new Request(url, { method, headers, body: body || undefined })

/** The next request once this one is answered, after a turn of the event loop (as a socket's next read would come). */
const connection = async () => {
  while (load.running) {
    const res = await fetchApp(request(), server)
    load.answer(res.status)
    await new Promise((r) => setImmediate(r))
  }
}
const connect = () => {
  for (let i = 0; i < 64; i++) void connection()
}
const load = new Load(connect)
load.restart()
await drive(load, Number(seconds))
