import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Config } from './config.ts'

export interface NodeServerOptions {
  fetch: (req: Request, env?: object) => Response | Promise<Response>
  config: Config
  port?: number
  host?: string
}

/**
 * Starts a node:http server for the app with the runtime's timeouts: keep-alive (`flyer_keepalive`),
 * headers (`flyer_headers_timeout`, against slowloris), whole request (`flyer_timeout`), and the
 * per-worker connection cap (`flyer_worker_connections`).
 */
export const serveNode = async ({ fetch, config: c, port = c.port, host = c.host }: NodeServerOptions): Promise<{ server: Server; port: number }> => {
  const listener = getRequestListener(fetch as never)
  const server = createServer(
    {
      keepAliveTimeout: c.keepAliveSec * 1000,
      headersTimeout: c.headersTimeoutSec * 1000,
      // Node checks the two timeouts above only this often (default 30 s): slowloris sockets would linger.
      connectionsCheckingInterval: 1000,
      requestTimeout: (c.timeoutSec + c.headersTimeoutSec) * 1000,
      maxHeaderSize: 16 * 1024,
    },
    listener as (req: IncomingMessage, res: ServerResponse) => void,
  )
  server.maxConnections = c.workerConnections
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      ok()
    })
  })
  return { server, port: (server.address() as AddressInfo).port }
}
