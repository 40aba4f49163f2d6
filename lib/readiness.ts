import { config as processConfig, type Config } from './config.ts'
import { kafka } from './kafka.ts'
import { mysql } from './mysql.ts'
import { redis, redisUsable } from './redis.ts'

export const DEPENDENCIES = ['redis', 'mysql', 'kafka'] as const
export type Dependency = (typeof DEPENDENCIES)[number]
export type DependencyState = 'ok' | 'down' | 'disabled'

/** One check per configured dependency; a missing entry means "not configured". */
export type Probes = Partial<Record<Dependency, (timeoutMs: number) => Promise<unknown>>>

export interface Readiness {
  ready: boolean
  checks: Record<Dependency, DependencyState>
  /** Why each `down` check failed, for the log (not for unauthenticated clients). */
  errors: Partial<Record<Dependency, string>>
}

/** Redis PING, MySQL `SELECT 1`, Kafka metadata, each through the process's client, for what is configured. */
export const defaultProbes = (c: Config = processConfig()): Probes => ({
  ...(c.redis
    ? {
        redis: async () => {
          const client = redis()
          // Between reconnect attempts Redis is known down: say so without waiting.
          if (!redisUsable(client)) throw new Error(`Redis is reconnecting (status ${client.status})`)
          await client.ping()
        },
      }
    : {}),
  ...(c.db ? { mysql: (timeoutMs: number) => mysql().ping(timeoutMs) } : {}),
  ...(c.kafka ? { kafka: (timeoutMs: number) => kafka().ping(timeoutMs) } : {}),
})

const within = async (work: Promise<unknown>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([work, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))])
  } finally {
    clearTimeout(timer)
    work.catch(() => undefined)
  }
}

/**
 * Runs every probe in parallel, each bounded by `timeoutMs`, so readiness answers within about that
 * long whatever is down.
 * @example
 * const { ready, checks } = await checkReadiness() // checks: { redis: 'ok', mysql: 'down', kafka: 'disabled' }
 */
export const checkReadiness = async (probes: Probes = defaultProbes(), timeoutMs = 1000): Promise<Readiness> => {
  const results = await Promise.all(
    DEPENDENCIES.map(async (name): Promise<[Dependency, DependencyState, string?]> => {
      const probe = probes[name]
      if (!probe) return [name, 'disabled']
      try {
        // The probe bounds itself (and says why); the outer limit only guards against one that does not.
        await within(Promise.resolve().then(() => probe(timeoutMs)), timeoutMs + 250)
        return [name, 'ok']
      } catch (err) {
        return [name, 'down', err instanceof Error ? err.message : String(err)]
      }
    }),
  )
  const checks = Object.fromEntries(results.map(([n, s]) => [n, s])) as Record<Dependency, DependencyState>
  const errors = Object.fromEntries(results.filter((r) => r[2] !== undefined).map(([n, , e]) => [n, e])) as Readiness['errors']
  return { ready: results.every(([, s]) => s !== 'down'), checks, errors }
}
