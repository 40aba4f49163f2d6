// In-process driver for Bun: the app's `fetch` called with Request objects made in memory, 64 "connections"
// each sending its next request when the previous answer came. No sockets, no kernel, no load generator,
// and none of Bun.serve's own work (parsing the request, writing the response): the CPU time per request
// is Bun's Request and Response objects, the framework and the app, which a shared machine disturbs far
// less than a loopback run. `server.requestIP()` answers from memory here (a fixed address): in Bun.serve
// it is a getpeername() system call per request, which only the loopback rows include. Prints one JSON
// line, as in-process.ts does. `bun in-process-bun.ts <bare|dist dir> <GET|POST> <path> [body] [seconds]`; with
// FLYER_BENCH_COUNT set it counts requests instead of seconds, as in-process.ts does (scripts/bench/instructions.ts).
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { bareApp } from './bare-app.ts'

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

let answered = 0
let running = true
let failed = ''
/** The next request once this one is answered, after a turn of the event loop (as a socket's next read would come). */
const connection = async () => {
  while (running) {
    const res = await fetchApp(request(), server)
    answered++
    if (res.status >= 400 && !failed) failed = `answered ${res.status}`
    await new Promise((r) => setImmediate(r))
  }
}
const connect = () => {
  for (let i = 0; i < 64; i++) void connection()
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Settles once `ok()` holds, checked every 5 ms. */
const until = async (ok: () => boolean) => {
  while (!ok()) await sleep(5)
}
/** Stops sending and waits for the answers in flight. */
const quiesce = async () => {
  running = false
  let last = -1
  await until(() => {
    const same = answered === last
    last = answered
    return same
  })
}

connect()
const count = process.env.FLYER_BENCH_COUNT
if (count) {
  // Count mode, as in-process.ts: `warm,n,dir`; pauses after `warm` answers (dir/ready), answers `n` more
  // on dir/go, pauses again (dir/done holding the count) and exits on dir/exit.
  const [warm, n, dir] = count.split(',') as [string, string, string]
  await until(() => answered >= Number(warm))
  await quiesce()
  writeFileSync(`${dir}/ready`, '')
  await until(() => existsSync(`${dir}/go`))
  const start = answered
  running = true
  connect()
  await until(() => answered - start >= Number(n))
  await quiesce()
  // Written whole, then renamed: the counter reads it as soon as it exists.
  writeFileSync(`${dir}/done.tmp`, String(answered - start))
  renameSync(`${dir}/done.tmp`, `${dir}/done`)
  await until(() => existsSync(`${dir}/exit`))
  console.log(JSON.stringify({ requests: answered - start, failed: failed || undefined }))
  process.exit(0)
}

await sleep(1500) // warm-up: JIT tiers settle
const n0 = answered
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await sleep(Number(seconds) * 1000)
const cpu = process.cpuUsage(cpu0)
const n = answered - n0
running = false
console.log(JSON.stringify({ requests: n, cpuUs: (cpu.user + cpu.system) / n, rps: n / ((performance.now() - t0) / 1000), failed: failed || undefined }))
process.exit(0)
