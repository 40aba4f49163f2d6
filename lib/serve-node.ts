import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http'
import { type AddressInfo, Server as NetServer } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Config } from './config.ts'
import { FlyerResponse, nativeHeadersSupported } from './native-headers.ts'
import { smallBodySize, takeArrivedBody } from './raw-body.ts'

type Listener = (req: IncomingMessage, res: ServerResponse) => void

export interface NodeServerOptions {
  fetch: (req: Request, env?: object) => Response | Promise<Response>
  config: Config
  port?: number
  host?: string
  /** Called with the running request count on every request (max-requests recycling). */
  onRequest?: (count: number) => void
}

export interface NodeServer {
  server: Server
  port: number
  /**
   * Stops accepting, lets in-flight requests finish and keep-alive clients go, and resolves once every
   * connection is closed; at `graceMs` the rest are cut (`forced` counts them).
   */
  drain: (graceMs: number) => Promise<{ forced: number }>
}

/**
 * Starts a node:http server for the app with the runtime's timeouts: keep-alive (`flyer_keepalive`, 0 =
 * off), headers (`flyer_headers_timeout`, against slowloris), whole request (`flyer_timeout`), and the
 * per-worker connection cap (`flyer_worker_connections`).
 */
export const serveNode = async ({ fetch, config: c, port = c.port, host = c.host, onRequest }: NodeServerOptions): Promise<NodeServer> => {
  if (!nativeHeadersSupported) throw new Error(`Node.js ${process.version}: ServerResponse has no _storeHeader, which Flyer writes its contract headers through (lib/native-headers.ts)`)
  const app = getRequestListener(fetch as never) as Listener
  // For requests whose whole body was taken off the socket (raw-body.ts): nothing is left unread for
  // @hono/node-server to drain after the response, so it need not watch for that.
  const appBodyTaken = getRequestListener(fetch as never, { autoCleanupIncoming: false }) as Listener
  const keepAlive = c.keepAliveSec > 0
  let draining = false
  let requests = 0
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    requests++
    // Draining (or keep-alive off): the client closes after this response and opens its next connection
    // to a live worker, instead of finding this socket gone.
    if (draining || !keepAlive) res.setHeader('Connection', 'close')
    onRequest?.(requests)
    // A small body usually comes in the headers' packet: the app runs once node:http has pushed it (raw-body.ts).
    const size = smallBodySize(req, c.bodyLimit)
    if (size !== undefined) queueMicrotask(() => (takeArrivedBody(req, size) ? appBodyTaken : app)(req, res))
    else app(req, res)
  }
  const server = createServer(
    {
      keepAliveTimeout: c.keepAliveSec * 1000,
      headersTimeout: c.headersTimeoutSec * 1000,
      // Node checks the two timeouts above only this often (default 30 s): slowloris sockets would linger.
      connectionsCheckingInterval: 1000,
      requestTimeout: (c.timeoutSec + c.headersTimeoutSec) * 1000,
      maxHeaderSize: 16 * 1024,
      // Writes X-Request-ID, X-Lasting-Time, X-Memory-Usage and nosniff into the header block (native-headers.ts).
      ServerResponse: FlyerResponse,
    },
    listener,
  )
  server.maxConnections = c.workerConnections
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      ok()
    })
  })
  let drained: Promise<{ forced: number }> | undefined
  const drain = (graceMs: number) =>
    (drained ??= new Promise((done) => {
      draining = true
      let forced = 0
      const deadline = setTimeout(() => {
        server.getConnections((_err, open) => {
          forced = open
          server.closeAllConnections()
        })
      }, graceMs)
      // net's close, not http's: http's also closes idle keep-alive sockets at once, racing a client that
      // has just written a request on one (it gets a reset, the classic deploy-time "socket hang up").
      // Idle sockets close instead when their keep-alive timer ends, which the client was told
      // (Keep-Alive: timeout=N) not to reuse them past; busy ones close after a Connection: close answer.
      NetServer.prototype.close.call(server, () => {
        clearTimeout(deadline)
        done({ forced })
      })
    }))
  return { server, port: (server.address() as AddressInfo).port, drain }
}
