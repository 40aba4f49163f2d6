import type { Config } from './config.ts'
import { registerGauge } from './metrics.ts'
import { mysql } from './mysql.ts'

interface PoolInternals {
  _allConnections?: { length: number }
  _freeConnections?: { length: number }
  _connectionQueue?: { length: number }
}

/**
 * Client gauges for `/metrics`: MySQL pool connections by state and waiting callers, and the outbox
 * backlog (events not yet acknowledged by Kafka). Read at scrape time only; nothing per request.
 */
export const registerDataMetrics = (c: Config): void => {
  if (!c.db) return
  registerGauge(
    'flyer_db_pool_connections',
    'MySQL pool connections of this worker, by state (in_use, idle, waiting callers)',
    () => {
      // mysql2 keeps these counts on the pool object only (no public API).
      const p = mysql().pool.pool as unknown as PoolInternals
      const all = p._allConnections?.length ?? 0
      const idle = p._freeConnections?.length ?? 0
      return [
        { labels: { state: 'in_use' }, value: all - idle },
        { labels: { state: 'idle' }, value: idle },
        { labels: { state: 'waiting' }, value: p._connectionQueue?.length ?? 0 },
      ]
    },
    { labelNames: ['state'] },
  )
  registerGauge(
    'flyer_outbox_backlog',
    'Events in the outbox not yet acknowledged by Kafka (the same table for every worker)',
    async () => {
      const rows = await mysql().query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox', [], { timeoutMs: 500 })
      return Number(rows[0]?.n ?? 0)
    },
    { aggregator: 'max' },
  )
}
