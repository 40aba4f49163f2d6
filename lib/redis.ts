import { createRequire } from 'node:module'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { config, type Config } from './config.ts'
import { ErrorCode, FlyerError } from './errors.ts'
import { logger } from './logger.ts'
import { processResource } from './shutdown.ts'

export type { Redis }

// ioredis (CommonJS) loads on the first client made, not at start-up: most services never configure Redis.
let driver: typeof import('ioredis') | undefined
const ioredis = () => (driver ??= createRequire(import.meta.url)('ioredis') as typeof import('ioredis'))

export interface RedisOptions {
  host: string
  port: number
  password?: string
  db?: number
  /** Prepended to every key (ioredis `keyPrefix`). */
  keyPrefix?: string
  /** Give up on a connection attempt after this long. */
  connectTimeoutMs?: number
  /** A command without a reply after this long fails ("Command timed out"), queued ones included. */
  commandTimeoutMs?: number
  log?: Pick<Logger, 'warn' | 'info'>
}

/**
 * A Redis client that fails fast instead of queueing forever: 1 s to connect, 1 s per command, queued
 * commands flushed on the first failed reconnect, and reconnecting by itself every ≤2 s in the background.
 * Connects on first command (lazy).
 */
export const createRedis = ({ host, port, password, db = 0, keyPrefix, connectTimeoutMs = 1000, commandTimeoutMs = 1000, log }: RedisOptions): Redis => {
  const client = new (ioredis().Redis)({
    host,
    port,
    password: password || undefined,
    db,
    keyPrefix,
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    commandTimeout: commandTimeoutMs,
    // A command waits for at most one reconnect attempt, then fails with a clear error.
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(100 * 2 ** (times - 1), 2000),
    enableReadyCheck: true,
  })
  // Log state changes, not every failed reconnect: a Redis outage must not flood the log.
  let down = false
  client.on('error', (err: Error) => {
    if (down) return
    down = true
    log?.warn({ err: { message: err.message }, redis: `${host}:${port}` }, 'Redis unavailable; retrying in the background')
  })
  client.on('ready', () => {
    if (!down) return
    down = false
    log?.info({ redis: `${host}:${port}` }, 'Redis reconnected')
  })
  return client
}

/**
 * Whether a command sent now has a chance: false while the client is between reconnect attempts
 * (Redis known down) or closed, so callers can fall back at once instead of waiting for a timeout.
 */
export const redisUsable = (client: Redis): boolean => !['reconnecting', 'close', 'end'].includes(client.status)

/** Turns an ioredis failure into the envelope's upstream error (code 40002). */
export const redisError = (err: unknown, what = 'Redis call'): FlyerError =>
  err instanceof FlyerError
    ? err
    : new FlyerError(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, `${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })

/** Closes a client: QUIT if it answers within `timeoutMs`, else drops the socket. */
export const closeRedis = async (client: Redis, timeoutMs = 1000): Promise<void> => {
  // Not connected (never used, or Redis down): nothing to QUIT politely.
  if (client.status !== 'ready') {
    client.disconnect()
    return
  }
  let timer: NodeJS.Timeout | undefined
  const ended = new Promise((done) => client.once('end', done))
  const deadline = new Promise((done) => (timer = setTimeout(done, timeoutMs)))
  await Promise.race([client.quit().catch(() => undefined), deadline])
  client.disconnect()
  await Promise.race([ended, deadline])
  clearTimeout(timer)
}

const notConfigured = () =>
  new FlyerError(ErrorCode.INNER_SELF_ERROR, 'Redis is not configured: set flyer_redis_host (and flyer_redis_port, flyer_redis_db)', {
    status: 503,
    expose: true,
  })

/** Whether any `flyer_redis_*` variable is set. */
export const redisEnabled = (c: Config = config()): boolean => c.redis !== undefined

/**
 * The process's Redis client, created on first use from `flyer_redis_*`; closed at shutdown.
 * Throws a 503 envelope when Redis is not configured.
 * @example
 * import { redis } from '#lib/redis.ts'
 * await redis().set('flyer:last-deploy', new Date().toISOString(), 'EX', 3600)
 */
export const redis: () => Redis = processResource(
  'redis',
  () => {
    const r = config().redis
    if (!r) throw notConfigured()
    return createRedis({ ...r, log: logger() })
  },
  (client) => closeRedis(client),
)
