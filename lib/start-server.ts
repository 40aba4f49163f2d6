import cluster from 'node:cluster'
import type { WorkerMessage } from './cluster-messages.ts'
import type { Config } from './config.ts'
import { forkSettings } from './fork-settings.ts'
import type { ServableApp } from './worker.ts'

export interface StartServerOptions {
  /** Imports and builds the app. Called in workers only: keep the import inside (`await import('./app.ts')`). */
  loadApp: () => Promise<ServableApp>
}

const configOrExit = async (): Promise<Config> => {
  // Loaded here, not at the top: the primary forks its first worker without the schema (lib/fork-settings.ts).
  const { config, ConfigError } = await import('./config.ts')
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
 *   and each forked worker serves the app. The primary never calls `loadApp`, nor validates the
 *   environment itself: each worker does, first thing, and sends the primary the result.
 * @example
 * await startServer({ loadApp: async () => (await import('./app.ts')).buildApp() })
 */
export const startServer = async ({ loadApp }: StartServerOptions): Promise<void> => {
  // The same decision the validated configuration gives (`dev` and one worker), read without the schema.
  const early = forkSettings()
  const single = early.dev && (early.workers ?? 1) === 1
  const primary = cluster.isPrimary && !single
  const c = primary ? undefined : await configOrExit()
  try {
    if (primary) {
      const { runPrimary } = await import('./primary.ts')
      return await runPrimary()
    }
    // libuv sizes its pool on first use; in one process nothing has used it yet. (Forked workers get it
    // in their environment from the primary.)
    if (single) process.env.UV_THREADPOOL_SIZE = String(c!.threads)
    else process.send?.({ flyer: 'config', config: c! } satisfies WorkerMessage)
    const { runWorker } = await import('./worker.ts')
    await runWorker({ loadApp, supervised: !single })
  } catch (err) {
    // A worker that cannot start: say why, then exit non-zero (the primary restarts it with backoff).
    const what = cluster.isPrimary ? 'Flyer failed to start' : 'worker failed to start'
    try {
      // config.ts too: a primary that failed before its first worker sent the configuration reads the
      // environment for its log itself.
      const [{ logger, closeLogs }] = await Promise.all([import('./logger.ts'), import('./config.ts')])
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
