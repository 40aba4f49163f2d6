import type { Config } from './config.ts'

interface BunServer {
  port: number
  stop(closeActiveConnections?: boolean): Promise<void> | void
}

interface BunLike {
  serve(options: {
    fetch: (req: Request, server: unknown) => Response | Promise<Response>
    port: number
    hostname: string
    idleTimeout?: number
    maxRequestBodySize?: number
    reusePort?: boolean
  }): BunServer
}

export interface BunServeOptions {
  fetch: (req: Request, env?: object) => Response | Promise<Response>
  config: Config
  port?: number
  host?: string
  /** SO_REUSEPORT: several worker processes bind the same port and the kernel spreads connections. */
  reusePort?: boolean
  /** Called with the running request count on every request (max-requests recycling). */
  onRequest?: (count: number) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** How long a draining Bun worker keeps listening while telling keep-alive clients to go. */
const MOVE_OFF_MS = 500

const withClose = (res: Response): Response => {
  try {
    res.headers.set('Connection', 'close')
    return res
  } catch {
    // immutable headers (a fetched Response passed through): copy
    const copy = new Response(res.body, res)
    copy.headers.set('Connection', 'close')
    return copy
  }
}

/**
 * Serves the app with Bun.serve; Bun passes the server as `env`, which gives `requestIP` to the envelope.
 * What differs from Node: Bun's `idleTimeout` (max 255 s) also covers a request waiting for its handler,
 * so it is max(`flyer_keepalive`, `flyer_timeout` + 1) and idle keep-alive sockets live that long;
 * `flyer_headers_timeout` and `flyer_worker_connections` have no Bun equivalent; a body above
 * 4 × `flyer_body_limit` + 1 MiB gets Bun's bare 413 instead of the envelope.
 */
export const serveBun = async ({ fetch, config: c, port = c.port, host = c.host, reusePort = false, onRequest }: BunServeOptions) => {
  const Bun = (globalThis as unknown as { Bun: BunLike }).Bun
  const keepAlive = c.keepAliveSec > 0
  let draining = false
  let requests = 0
  let inFlight = 0
  const server = Bun.serve({
    fetch: (req, srv) => {
      requests++
      onRequest?.(requests)
      const res = fetch(req, srv as object)
      if (res instanceof Response) return keepAlive && !draining ? res : withClose(res)
      // Counted here: Bun's own pendingRequests drops to 0 as soon as stop() is called.
      inFlight++
      return res.then(
        (r) => {
          inFlight--
          return keepAlive && !draining ? r : withClose(r)
        },
        (err) => {
          inFlight--
          throw err
        },
      )
    },
    port,
    hostname: host,
    idleTimeout: Math.min(255, Math.max(c.keepAliveSec, c.timeoutSec + 1)),
    // The app answers a too-large body with the 413 envelope; Bun's own (bare) 413 is only the backstop.
    maxRequestBodySize: c.bodyLimit * 4 + 1024 * 1024,
    reusePort,
  })
  let drained: Promise<{ forced: number }> | undefined
  /**
   * Bun's `stop()` closes idle keep-alive sockets at once (racing a client that just wrote a request on
   * one) and resolves before in-flight requests finish. So: first answer everything with Connection: close
   * for a moment, so busy keep-alive clients move off; then stop listening; then wait for the in-flight
   * requests ourselves; cut what is left at `graceMs`.
   */
  const drain = (graceMs: number) =>
    (drained ??= (async () => {
      const deadline = Date.now() + graceMs
      draining = true
      await sleep(Math.min(MOVE_OFF_MS, graceMs))
      void server.stop(false)
      while (inFlight > 0 && Date.now() < deadline) await sleep(20)
      const forced = inFlight
      if (forced) await server.stop(true)
      // The last responses leave the socket.
      await sleep(50)
      return { forced }
    })())
  return { server, port: server.port, drain }
}
