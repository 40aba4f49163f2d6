import { config } from '#lib/config.ts'
import { logger } from '#lib/logger.ts'
import { redis, redisEnabled, redisUsable, type Redis } from '#lib/redis.ts'
import type { Host } from './_schemas.ts'

/** Cached hosts expire after this long even if an invalidation was lost while Redis was unreachable. */
export const CACHE_TTL_SEC = 300

// Keys are namespaced by database: two deployments sharing one Redis never see each other's hosts.
const keys = (ip: string) => {
  const base = `flyer:${config().db?.database ?? ''}:host:${ip}`
  return { value: base, version: `${base}:v` }
}

// Fills only if no writer bumped the version since the reader looked: a slow reader cannot put back
// a row that a concurrent update already replaced.
const FILL = `
local v = redis.call('GET', KEYS[2]) or ''
if v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`

const INVALIDATE = `
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1`

/** A usable client, or undefined when Redis is not configured or known down (reads go to MySQL at once). */
const client = (): Redis | undefined => {
  if (!redisEnabled()) return undefined
  const c = redis()
  return redisUsable(c) ? c : undefined
}

const warn = (err: unknown, what: string) => logger().warn({ err: { message: err instanceof Error ? err.message : String(err) } }, `hosts cache: ${what} failed; using MySQL`)

// Invalidations that failed (Redis unreachable); retried until they succeed, TTL bounds the rest.
const pending = new Set<string>()
let retry: NodeJS.Timeout | undefined

export type Lookup = { hit: true; host: Host } | { hit: false; version: string | undefined }

/** Cache-aside read. A miss carries the version to hand to `fill`; any Redis failure is a miss. */
export const lookup = async (ip: string): Promise<Lookup> => {
  const c = client()
  // An invalidation of this ip has not reached Redis yet: its cached value may be stale.
  if (!c || pending.has(ip)) return { hit: false, version: undefined }
  const k = keys(ip)
  try {
    const [value, version] = await c.mget(k.value, k.version)
    if (value) return { hit: true, host: JSON.parse(value) as Host }
    return { hit: false, version: version ?? '' }
  } catch (err) {
    warn(err, 'read')
    return { hit: false, version: undefined }
  }
}

/** Stores a host read from MySQL, unless it changed since `lookup` (or Redis was unusable then). */
export const fill = async (ip: string, version: string | undefined, host: Host): Promise<void> => {
  const c = client()
  if (!c || version === undefined) return
  const k = keys(ip)
  try {
    await c.eval(FILL, 2, k.value, k.version, version, JSON.stringify(host), CACHE_TTL_SEC)
  } catch (err) {
    warn(err, 'fill')
  }
}


const invalidateNow = async (c: Redis, ip: string) => {
  const k = keys(ip)
  await c.eval(INVALIDATE, 2, k.value, k.version, CACHE_TTL_SEC * 2)
}

const retryPending = () => {
  retry = undefined
  const c = redisEnabled() ? redis() : undefined
  if (!c) return pending.clear()
  void Promise.all(
    [...pending].map(async (ip) => {
      try {
        await invalidateNow(c, ip)
        pending.delete(ip)
      } catch {
        // still down: next round
      }
    }),
  ).then(() => {
    if (pending.size) {
      retry = setTimeout(retryPending, 1000)
      retry.unref()
    }
  })
}

/**
 * Drops the cached host after a committed change, before the response goes out. Also bumps the
 * version so an in-flight `fill` of the old row is refused.
 */
export const invalidate = async (ip: string): Promise<void> => {
  if (!redisEnabled()) return
  const c = redis()
  try {
    if (!redisUsable(c)) throw new Error(`Redis is reconnecting (status ${c.status})`)
    await invalidateNow(c, ip)
  } catch (err) {
    logger().warn({ err: { message: err instanceof Error ? err.message : String(err) }, ip }, 'hosts cache: invalidation failed; retrying in the background')
    pending.add(ip)
    if (!retry) {
      retry = setTimeout(retryPending, 1000)
      retry.unref()
    }
  }
}
