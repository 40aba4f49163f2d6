import type { Config } from './config.ts'

interface BunLike {
  serve(options: { fetch: (req: Request, server: unknown) => Response | Promise<Response>; port: number; hostname: string; idleTimeout?: number; maxRequestBodySize?: number; reusePort?: boolean }): {
    port: number
    stop(closeActive?: boolean): Promise<void> | void
  }
}

/** Serves the app with Bun.serve; Bun passes the server as `env`, which gives `requestIP` to the envelope. */
export const serveBun = async ({ fetch, config: c, port = c.port }: { fetch: (req: Request, env?: object) => Response | Promise<Response>; config: Config; port?: number }) => {
  const Bun = (globalThis as unknown as { Bun: BunLike }).Bun
  const server = Bun.serve({
    fetch: (req, srv) => fetch(req, srv as object),
    port,
    hostname: c.host,
    idleTimeout: Math.max(c.keepAliveSec, c.timeoutSec + 1),
    maxRequestBodySize: c.bodyLimit + 1,
    reusePort: true,
  })
  return server
}
