import cluster from 'node:cluster'
import { config, ConfigError, type Config } from './config.ts'
import type { ServableApp } from './worker.ts'

export interface StartServerOptions {
  /** Imports and builds the app. Called in workers only: keep the import inside (`await import('./app.ts')`). */
  loadApp: () => Promise<ServableApp>
}

const configOrExit = (): Config => {
  try {
    return config()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(2)
    }
    throw err
  }
}

/**
 * The process model, for Node and Bun alike:
 * - `npm run dev` (NODE_ENV=development, one worker): one process that serves, restarted by the watcher;
 * - otherwise this process is the primary, which forks the workers (node:cluster) and supervises them,
 *   and each forked worker serves the app. The primary never calls `loadApp`.
 * @example
 * await startServer({ loadApp: async () => (await import('./app.ts')).buildApp() })
 */
export const startServer = async ({ loadApp }: StartServerOptions): Promise<void> => {
  const c = configOrExit()
  const single = c.dev && (c.workers ?? 1) === 1
  try {
    if (cluster.isPrimary && !single) {
      const { runPrimary } = await import('./primary.ts')
      return await runPrimary({ config: c })
    }
    // libuv sizes its pool on first use; in one process nothing has used it yet. (Forked workers get it
    // in their environment from the primary.)
    if (single) process.env.UV_THREADPOOL_SIZE = String(c.threads)
    const { runWorker } = await import('./worker.ts')
    await runWorker({ loadApp, supervised: !single })
  } catch (err) {
    // A worker that cannot start: say why, then exit non-zero (the primary restarts it with backoff).
    const what = cluster.isPrimary ? 'Flyer failed to start' : 'worker failed to start'
    try {
      const { logger, closeLogs } = await import('./logger.ts')
      logger().fatal({ err }, what)
      await closeLogs()
    } catch (logErr) {
      // The log itself cannot be opened (flyer_log_dir not writable, say): say why on stderr instead.
      const reason = (e: unknown) => (e instanceof Error ? e.message : String(e))
      const also = reason(logErr) === reason(err) ? '' : ` (and the log could not be opened: ${reason(logErr)})`
      process.stderr.write(`flyer: ${what}: ${reason(err)}${also}\n`)
    }
    process.exit(1)
  }
}
