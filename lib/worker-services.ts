import type { Logger } from 'pino'
import { shutdownSignal } from './shutdown.ts'

export interface WorkerServiceContext {
  log: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Aborts when the worker begins to stop; long-running loops return when it fires. */
  signal: AbortSignal
}

export interface WorkerService {
  name: string
  /**
   * Runs in every worker after the app is built and before it listens (a throw stops the worker, which the
   * primary replaces with backoff). Import heavy modules inside, so the primary never loads them.
   * Register the matching stop with `onShutdown()`. Several workers (and pods) run this at once: anything
   * that must run once (migrations) takes a database lock.
   */
  start: (ctx: WorkerServiceContext) => Promise<unknown> | unknown
}

/**
 * The worker start hook: services every worker starts before serving (migrations, the outbox relay).
 * Add an entry here; nothing else needs to change.
 * @example
 * { name: 'outbox-relay', start: async (ctx) => (await import('./outbox.ts')).startOutboxRelay(ctx) },
 */
export const workerServices: WorkerService[] = [
  {
    // Migrations (under a MySQL lock) and the outbox relay; a no-op when MySQL is not configured.
    name: 'data',
    start: async ({ log }) => {
      const { config } = await import('./config.ts')
      const c = config()
      if (!c.db) {
        // Then the data modules are not even loaded: with them come node:crypto and node:fs/promises,
        // ~15 ms of a Bun worker's start (measured).
        log.info({}, 'MySQL not configured (flyer_db_host unset): no migrations, no outbox relay; MySQL routes answer 503')
        return
      }
      const [{ startDataServices }, { registerDataMetrics }] = await Promise.all([import('./data-services.ts'), import('./data-metrics.ts')])
      if (c.metrics) registerDataMetrics(c)
      return startDataServices(c, log)
    },
  },
]

/** Starts each service in order (the worker calls this once, before it listens). */
export const startWorkerServices = async (log: WorkerServiceContext['log'], services: readonly WorkerService[] = workerServices): Promise<void> => {
  for (const service of services) {
    const started = performance.now()
    await service.start({ log, signal: shutdownSignal() })
    log.info({ service: service.name, ms: Math.round(performance.now() - started) }, `worker service ${service.name} started`)
  }
}
