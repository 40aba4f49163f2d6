import type { Server } from 'node:http'
import { loadConfig } from '#lib/config.ts'
import { serveNode } from '#lib/serve-node.ts'

export interface ServedNode {
  server: Server
  port: number
  /** Drops open connections and resolves once the server has closed. */
  close: () => Promise<void>
}

/**
 * Serves `fetch` with `serveNode` (Flyer's Node server) on a free loopback port, configured from `env`
 * (`flyer_*` variables; no app log file).
 */
export const serveOnNode = async (fetch: (req: Request, env?: object) => Response | Promise<Response>, env: Record<string, string> = {}): Promise<ServedNode> => {
  const { server, port } = await serveNode({ fetch, config: loadConfig({ flyer_log_file: '0', flyer_host: '127.0.0.1', flyer_port: '0', ...env }) })
  return { server, port, close: () => new Promise((done) => server.close(() => done()).closeAllConnections()) }
}
