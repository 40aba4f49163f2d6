import type { Logger } from 'pino'
import { config as processConfig, type Config } from './config.ts'
import { createKafka, kafkaOptions } from './kafka.ts'
import { migrate } from './migrate.ts'
import { mysqlOptions } from './mysql.ts'
import { startOutboxRelay, type OutboxRelay } from './outbox.ts'
import { onShutdown } from './shutdown.ts'

export interface DataServices {
  /** Resolves once migrations are applied (at once when MySQL is not configured). */
  readonly migrated: Promise<void>
  /** The outbox relay of this process (active or standby), when MySQL and Kafka are configured. */
  readonly relay: () => OutboxRelay | undefined
  stop(): Promise<void>
}

export interface StartDataServicesOptions {
  /** Apply `migrations/` (default true). */
  migrate?: boolean
  /** Delay between migration attempts while MySQL is unreachable at start. */
  retryMs?: number
}

/**
 * What a serving process starts for the data layer: migrations when MySQL is configured (serialised
 * across processes by a lock; retried in the background while MySQL is unreachable, so the server still
 * starts), then the outbox relay when Kafka is configured too. Registers its own stop with `onShutdown`,
 * so `closeAll()` stops the relay (waiting for the batch in flight) before the pools close.
 * @example
 * // lib/worker-services.ts: every worker runs it before it listens
 * { name: 'data', start: async ({ log }) => (await import('./data-services.ts')).startDataServices(config(), log) }
 */
export const startDataServices = async (
  c: Config = processConfig(),
  log: Pick<Logger, 'info' | 'warn' | 'error'>,
  { migrate: runMigrations = true, retryMs = 5000 }: StartDataServicesOptions = {},
): Promise<DataServices> => {
  let stopped = false
  let relay: OutboxRelay | undefined
  let timer: NodeJS.Timeout | undefined
  let markMigrated: () => void = () => {}
  const migrated = new Promise<void>((done) => (markMigrated = done))

  const services: DataServices = {
    migrated,
    relay: () => relay,
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await relay?.stop()
      relay = undefined
    },
  }
  onShutdown('data-services', services.stop)

  const db = c.db
  if (!db) {
    // Nothing to do (the worker's start hook says so and does not call this without MySQL).
    markMigrated()
    return services
  }

  const startRelay = () => {
    const k = c.kafka
    if (!k || stopped) return
    relay = startOutboxRelay({ db: mysqlOptions(db), publisher: () => createKafka({ ...kafkaOptions(k), log }), log })
  }

  const attempt = async (): Promise<void> => {
    if (stopped) return
    try {
      if (runMigrations) {
        const result = await migrate(mysqlOptions(db), { log })
        log.info({ applied: result.applied, alreadyApplied: result.alreadyApplied.length }, 'migrations up to date')
      }
      markMigrated()
      startRelay()
    } catch (err) {
      log.error({ err }, `migrations failed; retrying in ${retryMs} ms (MySQL routes fail until then)`)
      timer = setTimeout(() => void attempt(), retryMs)
      timer.unref()
    }
  }
  await attempt()
  return services
}
