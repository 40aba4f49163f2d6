// In-process driver: a node:http server fed through in-memory sockets, 64 keep-alive "connections" each
// sending its next request when the previous answer finished. No kernel, no load generator: the CPU time
// per request is the JavaScript (node:http parsing, the framework, the app) alone, which a shared
// machine disturbs far less than a loopback run. Prints one JSON line.
// `node in-process.mjs <bare|dist dir> <GET|POST> <path> [body] [seconds]`; with FLYER_BENCH_COUNT set, it
// counts requests instead of seconds, pausing for a counter to be switched on (drive.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readdirSync } from 'node:fs'
import { Duplex } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import { bareApp } from './bare-app.ts'
import { drive, Load } from './drive.ts'

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

const sockets = Array.from({ length: 64 }, () => new MemorySocket())
const load = new Load(() => {
  for (const s of sockets) s.push(request)
})
const server = createServer({ ...serverOptions, keepAliveTimeout: 60_000 }, (req, res) => {
  res.on('finish', () => {
    load.answer(res.statusCode)
    const socket = req.socket
    if (load.running) setImmediate(() => socket.push(request))
  })
  listener(req, res)
})
for (const s of sockets) server.emit('connection', s)
load.restart()
await drive(load, Number(seconds))
