import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import pino from 'pino'
import { describe, it } from 'vitest'
import { loadConfig, setConfig, type Config } from '#lib/config.ts'
import { setLoggers } from '#lib/logger.ts'
import { createDatabase, migrate } from '#lib/migrate.ts'
import { openSession, type MysqlOptions } from '#lib/mysql.ts'

/** CI sets FLYER_REQUIRE_SERVICES=1: a missing service then fails the suite instead of skipping it. */
export const REQUIRE_SERVICES = process.env.FLYER_REQUIRE_SERVICES === '1'

export const MYSQL = {
  host: process.env.FLYER_TEST_DB_HOST ?? '127.0.0.1',
  port: Number(process.env.FLYER_TEST_DB_PORT ?? 3306),
  user: process.env.FLYER_TEST_DB_USER ?? 'root',
  password: process.env.FLYER_TEST_DB_PASS ?? '',
}
export const REDIS = { host: process.env.FLYER_TEST_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.FLYER_TEST_REDIS_PORT ?? 6379) }

export type Service = 'mysql' | 'redis' | 'kafka'

const reachable = (host: string, port: number, timeoutMs = 1000) =>
  new Promise<boolean>((done) => {
    const s = createConnection({ host, port })
    const end = (ok: boolean) => {
      s.destroy()
      done(ok)
    }
    s.setTimeout(timeoutMs, () => end(false))
    s.once('connect', () => end(true))
    s.once('error', () => end(false))
  })

const probes: Record<Service, () => Promise<string | undefined>> = {
  mysql: async () => ((await reachable(MYSQL.host, MYSQL.port)) ? undefined : `MariaDB not reachable on ${MYSQL.host}:${MYSQL.port}`),
  redis: async () => ((await reachable(REDIS.host, REDIS.port)) ? undefined : `Redis not reachable on ${REDIS.host}:${REDIS.port}`),
  kafka: async () => (spawnSync('kcat', ['-V']).status === 0 ? undefined : 'kcat not installed (apt-get install kcat) for the mock Kafka broker'),
}

/**
 * Checks the services a suite needs. Returns a `describe` that runs the suite when they are there, and
 * otherwise skips it with the reason in its name — or, under FLYER_REQUIRE_SERVICES=1, fails.
 * @example
 * const { describe } = await needServices('mysql', 'redis')
 * describe('hosts routes', () => { … })
 */
export const needServices = async (...services: Service[]) => {
  const missing = (await Promise.all(services.map((s) => probes[s]()))).filter((r): r is string => r !== undefined)
  const reason = missing.join('; ')
  const wrapped = (name: string, body: () => void) => {
    if (!missing.length) return describe(name, body)
    if (REQUIRE_SERVICES) {
      return describe(name, () => {
        it(`needs ${services.join(', ')} (FLYER_REQUIRE_SERVICES=1)`, () => {
          throw new Error(`required services missing: ${reason}`)
        })
      })
    }
    return describe.skip(`${name} — skipped: ${reason}`, body)
  }
  return { ok: missing.length === 0, reason, describe: wrapped }
}

export const randomName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`

/** A database of its own for this run, migrated; `drop()` removes it. */
export const createTestDatabase = async (): Promise<{ name: string; options: MysqlOptions; drop: () => Promise<void> }> => {
  const name = randomName('flyer_test')
  const options: MysqlOptions = { ...MYSQL, database: name }
  await createDatabase(options)
  await migrate(options)
  return {
    name,
    options,
    drop: async () => {
      const s = await openSession(options, { database: false })
      try {
        await s.connection.query(`DROP DATABASE IF EXISTS ${s.connection.escapeId(name)}`)
      } finally {
        await s.close()
      }
    },
  }
}

/** A Redis db number for this run (2-15; db 0/1 are the usual defaults) — keys are also namespaced by database name. */
export const randomRedisDb = () => 2 + randomBytes(1)[0]! % 14

/** Silences the process loggers the clients use (tests assert on behaviour, not log noise). */
export const quietLogs = () => setLoggers({ app: pino({ level: 'silent' }) })

/**
 * The env of a test app wired to the given services, applied as the process config too (route code
 * reads `config()`); returns the env for `testApp(env)`.
 */
export const useServicesEnv = (env: Record<string, string>): { env: Record<string, string>; config: Config } => {
  const full = { flyer_log_file: '0', flyer_access_log: '0', ...env }
  const config = loadConfig(full)
  setConfig(config)
  return { env: full, config }
}

/** The `flyer_db_*` variables pointing at the test MariaDB and `database`. */
export const mysqlEnv = (database: string): Record<string, string> => ({
  flyer_db_host: MYSQL.host,
  flyer_db_port: String(MYSQL.port),
  flyer_db_user: MYSQL.user,
  flyer_db_pass: MYSQL.password,
  flyer_db_name: database,
})

/** The `flyer_redis_*` variables pointing at the test Redis, db `db`. */
export const redisEnv = (db: number): Record<string, string> => ({
  flyer_redis_host: REDIS.host,
  flyer_redis_port: String(REDIS.port),
  flyer_redis_db: String(db),
})
