import { z } from 'zod'
import { currentConfig, setConfigLoader, setCurrentConfig } from './current-config.ts'
import { DEFAULT_THREADS, WORKER_GC, type WorkerGc } from './fork-settings.ts'

/** 0/1, true/false, yes/no, on/off — the original took `1`/`0`. */
const FLAG = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { message: 'expected 1 or 0' })
const isOn = (v: string) => v === '1' || v === 'true' || v === 'yes' || v === 'on'
const flag = (fallback: boolean) => FLAG.default(fallback ? '1' : '0').transform(isOn)
/** A flag whose default depends on other settings (undefined when unset). */
const optionalFlag = () => FLAG.optional().transform((v) => (v === undefined ? undefined : isOn(v)))

const whole = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `expected a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `expected at least ${min}`).max(max, `expected at most ${max}`))

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => whole(min, max).default(fallback)

const str = (fallback: string) => z.string().default(fallback)

/** A URL path segment list such as `/flyer`; normalised to a leading slash and no trailing one. */
const basePath = z
  .string()
  .default('/flyer')
  .transform((v) => ('/' + v.replace(/^\/+|\/+$/g, '')).replace(/^\/$/, ''))
  .refine((v) => /^(\/[A-Za-z0-9._~-]+)*$/.test(v), 'expected a path like /flyer (letters, digits, . _ ~ -)')

const segment = z
  .string()
  .default('v1')
  .refine((v) => /^[A-Za-z0-9._~-]+$/.test(v), 'expected one path segment like v1')

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'critical', 'silent'] as const

/**
 * Every `flyer_*` variable: the original's names, defaults and meaning, plus the ones Flyer adds.
 * The README's configuration table is checked against this object by a test.
 */
export const envSchema = z.object({
  NODE_ENV: z.string().default('production'),
  flyer_host: str('0.0.0.0'),
  flyer_port: int(8080, 0, 65535),
  flyer_base_url: basePath,
  flyer_version: segment,
  flyer_reload: flag(false),
  flyer_preload: flag(false),
  flyer_workers: whole(1, 512).optional(),
  flyer_threads: int(DEFAULT_THREADS, 1, 1024),
  flyer_worker_gc: z
    .string()
    .default('auto')
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(WORKER_GC, { message: `expected one of ${WORKER_GC.join('/')}` })),
  flyer_worker_connections: int(1000, 1),
  flyer_enable_max_requests: flag(false),
  flyer_max_requests: int(0),
  flyer_max_requests_jitter: int(0),
  flyer_max_rss_mb: int(0),
  flyer_timeout: int(60, 1, 86400),
  flyer_graceful_timeout: int(10, 0, 3600),
  flyer_keepalive: int(5, 0, 3600),
  flyer_headers_timeout: int(10, 1, 3600),
  flyer_body_limit: int(1024 * 1024, 1),
  flyer_log_level: z
    .string()
    .default('info')
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join('/')}` }))
    .transform((v) => (v === 'warning' ? 'warn' : v === 'critical' ? 'fatal' : v)),
  flyer_log_dir: str('logs'),
  flyer_log_file: flag(true),
  flyer_log_retention_days: int(30, 1, 3650),
  flyer_access_log: flag(true),
  flyer_access_logfile: str('-'),
  flyer_http_errors: flag(false),
  flyer_validate_response: optionalFlag(),
  flyer_metrics: flag(true),
  flyer_author: str('Flyer'),
  flyer_release_date: str(''),
  flyer_auth_enable: flag(false),
  flyer_auth_user: str(''),
  flyer_auth_pass: str(''),
  flyer_redis_host: z.string().optional(),
  flyer_redis_port: int(6379, 1, 65535),
  flyer_redis_pass: str(''),
  flyer_redis_db: int(1, 0, 1024),
  flyer_db_host: z.string().optional(),
  flyer_db_port: int(3306, 1, 65535),
  flyer_db_user: str('root'),
  flyer_db_pass: str(''),
  flyer_db_name: str('flyer'),
  flyer_db_pool_size: int(32, 1, 1000),
  flyer_db_pool_recycle: int(1800, 1),
  flyer_db_queue_limit: int(1000, 0),
  flyer_kafka_servers: z.string().optional(),
  flyer_kafka_topic: str('flyer'),
})

export type Env = z.input<typeof envSchema>

/** The validated configuration, grouped by concern. */
export interface Config {
  dev: boolean
  host: string
  port: number
  baseUrl: string
  version: string
  /** `${baseUrl}/${version}`: where `routes/flyer/v1` mounts. */
  prefix: string
  reload: boolean
  workers: number | undefined
  threads: number
  /** Node workers' garbage collection: `auto`, `single` or `parallel` (lib/fork-settings.ts `singleThreadedGc`). */
  workerGc: WorkerGc
  workerConnections: number
  maxRequests: { enabled: boolean; max: number; jitter: number }
  maxRssMb: number
  timeoutSec: number
  gracefulTimeoutSec: number
  keepAliveSec: number
  headersTimeoutSec: number
  bodyLimit: number
  log: { level: string; dir: string; file: boolean; retentionDays: number }
  accessLog: { enabled: boolean; file: string }
  httpErrors: boolean
  validateResponse: boolean
  metrics: boolean
  docs: { author: string; releaseDate: string }
  auth: { enabled: boolean; user: string; pass: string }
  redis: { host: string; port: number; password: string; db: number } | undefined
  db:
    | { host: string; port: number; user: string; password: string; database: string; poolSize: number; recycleSec: number; queueLimit: number }
    | undefined
  kafka: { brokers: string[]; topic: string } | undefined
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const SECRET = /pass|secret|token|key/i

const shown = (name: string, value: unknown) => (SECRET.test(name) ? '***' : JSON.stringify(value))

/**
 * Parses an environment once; reports every bad or missing variable by name.
 * Pure: tests hand in a plain object instead of patching `process.env`.
 */
export const loadConfig = (env: Record<string, string | undefined>): Config => {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = envSchema.safeParse(present)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0])
        return `${name}=${shown(name, present[name])}: ${i.message}`
      }),
    )
  }
  const e = parsed.data
  const dev = e.NODE_ENV === 'development'
  const problems: string[] = []
  if (e.flyer_auth_enable && (!e.flyer_auth_user || !e.flyer_auth_pass)) {
    problems.push('flyer_auth_enable=1 needs both flyer_auth_user and flyer_auth_pass to be set')
  }
  if (e.flyer_enable_max_requests && e.flyer_max_requests === 0) {
    problems.push('flyer_enable_max_requests=1 needs flyer_max_requests above 0')
  }
  const anyRedis = Object.keys(present).some((k) => k.startsWith('flyer_redis_'))
  if (problems.length) throw new ConfigError(problems)
  return {
    dev,
    host: e.flyer_host,
    port: e.flyer_port,
    baseUrl: e.flyer_base_url,
    version: e.flyer_version,
    prefix: `${e.flyer_base_url}/${e.flyer_version}`,
    reload: e.flyer_reload,
    workers: e.flyer_workers,
    threads: e.flyer_threads,
    workerGc: e.flyer_worker_gc,
    workerConnections: e.flyer_worker_connections,
    maxRequests: { enabled: e.flyer_enable_max_requests, max: e.flyer_max_requests, jitter: e.flyer_max_requests_jitter },
    maxRssMb: e.flyer_max_rss_mb,
    timeoutSec: e.flyer_timeout,
    gracefulTimeoutSec: e.flyer_graceful_timeout,
    keepAliveSec: e.flyer_keepalive,
    headersTimeoutSec: e.flyer_headers_timeout,
    bodyLimit: e.flyer_body_limit,
    log: { level: e.flyer_log_level, dir: e.flyer_log_dir, file: e.flyer_log_file, retentionDays: e.flyer_log_retention_days },
    accessLog: { enabled: e.flyer_access_log, file: e.flyer_access_logfile },
    httpErrors: e.flyer_http_errors,
    validateResponse: e.flyer_validate_response ?? dev,
    metrics: e.flyer_metrics,
    docs: { author: e.flyer_author, releaseDate: e.flyer_release_date },
    auth: { enabled: e.flyer_auth_enable, user: e.flyer_auth_user, pass: e.flyer_auth_pass },
    redis: anyRedis
      ? { host: e.flyer_redis_host ?? 'localhost', port: e.flyer_redis_port, password: e.flyer_redis_pass, db: e.flyer_redis_db }
      : undefined,
    db: e.flyer_db_host
      ? {
          host: e.flyer_db_host,
          port: e.flyer_db_port,
          user: e.flyer_db_user,
          password: e.flyer_db_pass,
          database: e.flyer_db_name,
          poolSize: e.flyer_db_pool_size,
          recycleSec: e.flyer_db_pool_recycle,
          queueLimit: e.flyer_db_queue_limit,
        }
      : undefined,
    kafka: e.flyer_kafka_servers
      ? { brokers: e.flyer_kafka_servers.split(',').map((s) => s.trim()).filter(Boolean), topic: e.flyer_kafka_topic }
      : undefined,
  }
}

setConfigLoader(() => loadConfig(process.env))

/**
 * The process configuration, parsed from `process.env` on first use (held in current-config.ts).
 * @example
 * import { config } from '#lib/config.ts'
 * const { prefix } = config()
 */
export const config: () => Config = currentConfig

/** Replaces the process configuration (tests, and the app factory's `config` option). */
export const setConfig: (next: Config | undefined) => void = setCurrentConfig
