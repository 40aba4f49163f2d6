import { createRequire } from 'node:module'
import type { Connection, Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise'
import type { Logger } from 'pino'
import { config, type Config } from './config.ts'
import { ErrorCode, FlyerError } from './errors.ts'
import { logger } from './logger.ts'
import { processResource } from './shutdown.ts'

/** A value a prepared statement can bind. `undefined` is not one: pass `null`. */
export type Param = string | number | bigint | boolean | Date | Buffer | null

export interface StatementOptions {
  /** Fail with code 40002 (and drop the connection) when the statement has no answer after this long. */
  timeoutMs?: number
}

/** What runs statements: the pool, or one transaction's connection. Prepared statements only. */
export interface Queryable {
  /**
   * Runs a prepared SELECT and returns its rows.
   * @example
   * const rows = await db.query<{ ip: string }>('SELECT ip FROM hosts WHERE hostname = ?', ['web-1'])
   */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly Param[], options?: StatementOptions): Promise<T[]>
  /**
   * Runs a prepared INSERT/UPDATE/DELETE and returns `affectedRows`, `insertId`…
   * @example
   * const { affectedRows } = await db.execute('DELETE FROM hosts WHERE ip = ?', [ip])
   */
  execute(sql: string, params?: readonly Param[], options?: StatementOptions): Promise<ResultSetHeader>
}

export interface Db extends Queryable {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws.
   * @example
   * await db.transaction(async (tx) => {
   *   await tx.execute('UPDATE hosts SET hostname = ? WHERE ip = ?', [name, ip])
   *   await enqueueEvent(tx, { topic, key: ip, value: { event: 'host.updated' } })
   * })
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** `SELECT 1` within `timeoutMs` (readiness). */
  ping(timeoutMs?: number): Promise<void>
  /** Ends the pool; connections still busy after `timeoutMs` are dropped. */
  close(timeoutMs?: number): Promise<void>
  /** The mysql2 pool, for what this wrapper does not cover. Prefer the methods above. */
  readonly pool: Pool
  readonly database: string
}

export interface MysqlOptions {
  host: string
  port: number
  user: string
  password: string
  database: string
  /** Connections in the pool (the original: 32). */
  poolSize?: number
  /** A connection older than this is closed instead of reused; idle ones are closed after it too. */
  recycleSec?: number
  /** Callers that may wait for a free connection; more fail at once. 0 = nobody waits. */
  queueLimit?: number
  /** TCP connect plus handshake. */
  connectTimeoutMs?: number
  /** Waiting for a pooled connection, including opening a new one. */
  acquireTimeoutMs?: number
  /** Default per-statement timeout. */
  queryTimeoutMs?: number
  log?: Pick<Logger, 'warn' | 'info'>
}

// mysql2 (CommonJS) loads on the first pool or session, not at start-up.
let driver: typeof import('mysql2/promise') | undefined
const mysql2 = () => (driver ??= createRequire(import.meta.url)('mysql2/promise') as typeof import('mysql2/promise'))

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
])
const POOL_MESSAGES = new Set(['Queue limit reached.', 'No connections available.', 'Pool is closed.'])

/** True for failures of the server or the link (as opposed to a statement's own error such as a duplicate key). */
export const isConnectionError = (err: unknown): boolean => {
  if (!(err instanceof Error)) return false
  const e = err as Error & { code?: string; fatal?: boolean }
  return e.fatal === true || (e.code !== undefined && CONNECTION_CODES.has(e.code)) || POOL_MESSAGES.has(e.message)
}

/** A duplicate key (unique index) violation: the caller maps it to 40009. */
export const isDuplicateKey = (err: unknown): boolean => (err as { code?: string } | null)?.code === 'ER_DUP_ENTRY'

const noop = () => {}

/** Rejects with `onTimeout()`'s error after `ms`; the late outcome of `work` is swallowed. */
const within = async <T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
    work.catch(noop)
  }
}

type Unavailable = (detail: string, cause?: unknown) => FlyerError

/** Runs one step on a connection; on a timeout or a link failure the connection is destroyed. */
const stepper =
  (unavailable: Unavailable, toDbError: (err: unknown) => unknown) =>
  async <T>(conn: Connection, state: { dead: boolean }, work: () => Promise<T>, timeoutMs: number): Promise<T> => {
    try {
      return await within(work(), timeoutMs, () => {
        state.dead = true
        conn.destroy()
        return unavailable(`no answer within ${timeoutMs} ms`)
      })
    } catch (err) {
      if (isConnectionError(err) && !state.dead) {
        state.dead = true
        conn.destroy()
      }
      throw toDbError(err)
    }
  }

const bindQueryable = (conn: Connection, state: { dead: boolean }, step: ReturnType<typeof stepper>, defaultTimeoutMs: number): Queryable => ({
  query: async <T extends object>(sql: string, params: readonly Param[] = [], options: StatementOptions = {}) => {
    const [rows] = await step(conn, state, () => conn.execute(sql, params as Param[]), options.timeoutMs ?? defaultTimeoutMs)
    return rows as T[]
  },
  execute: async (sql, params = [], options = {}) => {
    const [result] = await step(conn, state, () => conn.execute(sql, params as Param[]), options.timeoutMs ?? defaultTimeoutMs)
    return result as ResultSetHeader
  },
})

const errorsFor = (where: string) => {
  const unavailable: Unavailable = (detail, cause) =>
    new FlyerError(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, `MySQL unavailable (${where}): ${detail}`, cause === undefined ? {} : { cause })
  const toDbError = (err: unknown): unknown =>
    err instanceof FlyerError ? err : isConnectionError(err) ? unavailable((err as Error).message || (err as { code?: string }).code || 'connection failed', err) : err
  return { unavailable, toDbError }
}

/**
 * A mysql2 pool behind a small typed API: prepared statements only, a bounded wait queue, timeouts on
 * every step, connections recycled by age, and a connection that failed or timed out destroyed, never
 * handed out again. Server and link failures become code 40002 with a clear message.
 */
export const createDb = (o: MysqlOptions): Db => {
  const { poolSize = 32, recycleSec = 1800, queueLimit = 1000, connectTimeoutMs = 2000, acquireTimeoutMs = 2000, queryTimeoutMs = 5000, log } = o
  const where = `${o.host}:${o.port}/${o.database}`
  const pool = mysql2().createPool({
    host: o.host,
    port: o.port,
    user: o.user,
    password: o.password,
    database: o.database,
    connectionLimit: poolSize,
    maxIdle: poolSize,
    idleTimeout: recycleSec * 1000,
    // mysql2 reads queueLimit 0 as "unbounded"; ours means "nobody waits".
    waitForConnections: queueLimit > 0,
    queueLimit,
    connectTimeout: connectTimeoutMs,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    timezone: 'Z',
    charset: 'utf8mb4',
  })
  const { unavailable, toDbError } = errorsFor(where)

  const born = new WeakMap<object, number>()
  let warned = false
  const acquire = async (): Promise<PoolConnection> => {
    for (;;) {
      const pending = pool.getConnection()
      let conn: PoolConnection
      try {
        conn = await within(pending, acquireTimeoutMs, () => {
          // If a connection turns up after we gave up, hand it straight back.
          pending.then((late) => late.release(), noop)
          return unavailable(`no connection within ${acquireTimeoutMs} ms`)
        })
      } catch (err) {
        if (!warned) log?.warn({ err: { message: (err as Error).message }, mysql: where }, 'MySQL unavailable')
        warned = true
        throw toDbError(err)
      }
      if (warned) log?.info({ mysql: where }, 'MySQL reachable again')
      warned = false
      const core = conn.connection as object
      const since = born.get(core) ?? Date.now()
      born.set(core, since)
      if (Date.now() - since < recycleSec * 1000) return conn
      conn.destroy()
    }
  }

  const step = stepper(unavailable, toDbError)
  const on = (conn: PoolConnection, state: { dead: boolean }) => bindQueryable(conn, state, step, queryTimeoutMs)

  const withConnection = async <T>(fn: (q: Queryable, conn: PoolConnection, state: { dead: boolean }) => Promise<T>): Promise<T> => {
    const conn = await acquire()
    const state = { dead: false }
    try {
      return await fn(on(conn, state), conn, state)
    } finally {
      if (!state.dead) conn.release()
    }
  }

  return {
    pool,
    database: o.database,
    query: (sql, params, options) => withConnection((q) => q.query(sql, params, options)),
    execute: (sql, params, options) => withConnection((q) => q.execute(sql, params, options)),
    transaction: (fn) =>
      withConnection(async (q, conn, state) => {
        await step(conn, state, () => conn.beginTransaction(), queryTimeoutMs)
        try {
          const result = await fn(q)
          await step(conn, state, () => conn.commit(), queryTimeoutMs)
          return result
        } catch (err) {
          if (!state.dead) await step(conn, state, () => conn.rollback(), queryTimeoutMs).catch(noop)
          throw err
        }
      }),
    ping: async (timeoutMs = 1000) => {
      await within(
        withConnection((q) => q.query('SELECT 1', [], { timeoutMs })),
        timeoutMs,
        () => unavailable(`no answer to SELECT 1 within ${timeoutMs} ms`),
      )
    },
    close: async (timeoutMs = 2000) => {
      await within(pool.end(), timeoutMs, () => new Error('pool end timed out')).catch(() => {
        for (const c of (pool.pool as unknown as { _allConnections?: { toArray?: () => { destroy(): void }[] } })._allConnections?.toArray?.() ?? []) c.destroy()
      })
    },
  }
}

/** One dedicated connection outside the pool, for session state such as `GET_LOCK` (relay, migrations). */
export interface Session extends Queryable {
  /** False once a statement timed out or the link failed; the session is then unusable. */
  readonly alive: boolean
  /** The mysql2 connection, for text-protocol statements (migrations' DDL). */
  readonly connection: Connection
  close(): Promise<void>
}

/**
 * Opens a dedicated connection with the same timeouts and error mapping as the pool.
 * @example
 * const s = await openSession(mysqlOptions(config().db!))
 * const [row] = await s.query<{ got: number }>('SELECT GET_LOCK(?, 0) AS got', ['my-job'])
 */
export const openSession = async (o: MysqlOptions, { database = true }: { database?: boolean } = {}): Promise<Session> => {
  const { connectTimeoutMs = 2000, queryTimeoutMs = 5000 } = o
  const where = `${o.host}:${o.port}/${o.database}`
  const { unavailable, toDbError } = errorsFor(where)
  const pending = mysql2().createConnection({
    host: o.host,
    port: o.port,
    user: o.user,
    password: o.password,
    ...(database ? { database: o.database } : {}),
    connectTimeout: connectTimeoutMs,
    enableKeepAlive: true,
    timezone: 'Z',
    charset: 'utf8mb4',
  })
  let conn: Connection
  try {
    conn = await within(pending, connectTimeoutMs + 500, () => {
      pending.then((late) => late.destroy(), noop)
      return unavailable(`no connection within ${connectTimeoutMs} ms`)
    })
  } catch (err) {
    throw toDbError(err)
  }
  const state = { dead: false }
  // A link dropped between statements must not surface as an unhandled 'error' event.
  conn.on('error', () => {
    state.dead = true
  })
  const q = bindQueryable(conn, state, stepper(unavailable, toDbError), queryTimeoutMs)
  return {
    ...q,
    connection: conn,
    get alive() {
      return !state.dead
    },
    close: async () => {
      if (state.dead) return
      state.dead = true
      await within(conn.end(), 1000, () => new Error('end timed out')).catch(() => conn.destroy())
    },
  }
}

/**
 * A MySQL named-lock name scoped to one database (`GET_LOCK` names are server-wide and at most 64 chars),
 * so two deployments sharing a server do not block each other.
 */
export const lockName = (purpose: string, database: string): string => {
  const name = `${purpose}:${database}`
  if (name.length <= 64) return name
  // node:crypto on first use, not at start: loading it costs a Bun worker ~12 ms (measured).
  const { createHash } = process.getBuiltinModule('node:crypto')
  return `${purpose.slice(0, 20)}:${createHash('sha256').update(database).digest('hex').slice(0, 40)}`
}

/** Mapped from `flyer_db_*`. */
export const mysqlOptions = (db: NonNullable<Config['db']>): MysqlOptions => ({
  host: db.host,
  port: db.port,
  user: db.user,
  password: db.password,
  database: db.database,
  poolSize: db.poolSize,
  recycleSec: db.recycleSec,
  queueLimit: db.queueLimit,
})

/** Whether `flyer_db_host` is set. */
export const mysqlEnabled = (c: Config = config()): boolean => c.db !== undefined

/** The 503 answer of anything that needs MySQL when it is not configured. */
export const mysqlNotConfigured = (): FlyerError =>
  new FlyerError(ErrorCode.INNER_SELF_ERROR, 'MySQL is not configured: set flyer_db_host (and flyer_db_name, flyer_db_user, flyer_db_pass)', {
    status: 503,
    expose: true,
  })

/**
 * The process's MySQL pool, created on first use from `flyer_db_*`; closed at shutdown.
 * Throws a 503 envelope ("MySQL is not configured…") when `flyer_db_host` is unset.
 * @example
 * import { mysql } from '#lib/mysql.ts'
 * const rows = await mysql().query<{ n: number }>('SELECT COUNT(*) AS n FROM hosts')
 */
export const mysql: () => Db = processResource(
  'mysql',
  () => {
    const c = config().db
    if (!c) throw mysqlNotConfigured()
    return createDb({ ...mysqlOptions(c), log: logger() })
  },
  (db) => db.close(),
)
