// In-process driver: a node:http server fed through in-memory sockets, 64 keep-alive "connections" each
// sending its next request when the previous answer finished. No kernel, no load generator: the CPU time
// per request is the JavaScript (node:http parsing, the framework, the app) alone, which a shared
// machine disturbs far less than a loopback run. Prints one JSON line.
// `node in-process.mjs <bare|dist dir> <GET|POST> <path> [body] [seconds]`; with FLYER_BENCH_COUNT set, it
// counts requests instead of seconds, pausing for a counter to be switched on (see below).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { Duplex } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import { bareApp } from './bare-app.ts'

const [target = 'bare', method = 'GET', path = '/flyer/v1/health_check', body = '', seconds = '3'] = process.argv.slice(2)

type Listener = (req: IncomingMessage, res: ServerResponse) => void
let listener: Listener
let serverOptions: object = {}
if (target === 'bare') {
  listener = getRequestListener(bareApp().fetch) as unknown as Listener
} else {
  // The Flyer build: the app and serveNode from its chunks, configured by the environment like a worker.
  const chunks = `${target}/chunks`
  const chunk = (prefix: string) => {
    const name = readdirSync(chunks).find((n) => n.startsWith(`${prefix}-`) && n.endsWith('.mjs'))
    if (!name) throw new Error(`no ${prefix}-*.mjs in ${chunks}: run npm run build`)
    return `${chunks}/${name}`
  }
  const { buildApp } = await import(chunk('app'))
  const { serveNode } = await import(chunk('serve-node'))
  const { config } = await import(chunk('config'))
  const app = buildApp()
  const { server } = await serveNode({ fetch: app.fetch, config: config(), port: 0, host: '127.0.0.1' })
  // Its request listener and response class, without its socket.
  listener = server.listeners('request')[0] as Listener
  const kServerResponse = Object.getOwnPropertySymbols(server).find((s) => String(s).includes('ServerResponse'))
  serverOptions = kServerResponse ? { ServerResponse: (server as unknown as Record<symbol, unknown>)[kServerResponse] } : {}
  server.close()
}

const request = Buffer.from(
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\n${body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`,
)

class MemorySocket extends Duplex {
  remoteAddress = '127.0.0.1'
  remotePort = 40000
  override _read() {}
  override _write(_chunk: unknown, _enc: unknown, cb: () => void) {
    cb()
  }
  override _writev(_chunks: unknown, cb: () => void) {
    cb()
  }
  setTimeout() {
    return this
  }
  setNoDelay() {
    return this
  }
  setKeepAlive() {
    return this
  }
}

let answered = 0
let running = true
let failed = ''
const server = createServer({ ...serverOptions, keepAliveTimeout: 60_000 }, (req, res) => {
  res.on('finish', () => {
    answered++
    if (res.statusCode >= 400 && !failed) failed = `answered ${res.statusCode}`
    const socket = req.socket
    if (running) setImmediate(() => socket.push(request))
  })
  listener(req, res)
})
const sockets = Array.from({ length: 64 }, () => new MemorySocket())
for (const s of sockets) {
  server.emit('connection', s)
  s.push(request)
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

const count = process.env.FLYER_BENCH_COUNT
if (count) {
  // Count mode, for instruction counts under callgrind (scripts/bench/instructions.ts): `warm,n,dir`.
  // After `warm` answers it pauses and writes dir/ready; on dir/go it answers `n` more, pauses, writes
  // dir/done holding the count, and exits on dir/exit. The counter is switched on and off between.
  const [warm, n, dir] = count.split(',') as [string, string, string]
  await until(() => answered >= Number(warm))
  await quiesce()
  writeFileSync(`${dir}/ready`, '')
  await until(() => existsSync(`${dir}/go`))
  const start = answered
  running = true
  for (const s of sockets) s.push(request)
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
