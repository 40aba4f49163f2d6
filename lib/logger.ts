import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pino, { type DestinationStream, type Logger } from 'pino'
import { config, type Config } from './config.ts'
import { REDACTED } from './redact.ts'

const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.password',
  '*.pass',
  '*.token',
  '*.secret',
  'config.auth.pass',
  'config.redis.password',
  'config.db.password',
]

let root: Logger | undefined
let access: Logger | undefined

/** Where the app log goes: stdout (pretty in dev) plus the rotated file `logs/flyer.*.log`. */
const appTargets = (c: Config): pino.TransportMultiOptions['targets'] => {
  const targets: pino.TransportMultiOptions['targets'][number][] = [
    c.dev
      ? { target: 'pino-pretty', level: c.log.level, options: { destination: 1, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } }
      : { target: 'pino/file', level: c.log.level, options: { destination: 1 } },
  ]
  if (c.log.file) {
    mkdirSync(resolve(c.log.dir), { recursive: true })
    targets.push({
      target: 'pino-roll',
      level: c.log.level,
      options: {
        file: resolve(join(c.log.dir, 'flyer')),
        extension: '.log',
        frequency: 'daily',
        dateFormat: 'yyyy-MM-dd',
        mkdir: true,
        symlink: true,
        limit: { count: c.log.retentionDays, removeOtherLogFiles: true },
      },
    })
  }
  return targets
}

/**
 * Builds a logger. Pass `destination` (tests, benchmarks) to skip transports and write to that stream.
 */
export const createLogger = (c: Config, destination?: DestinationStream): Logger => {
  const options: pino.LoggerOptions = {
    level: c.log.level,
    base: { pid: process.pid },
    redact: { paths: redactPaths, censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (destination) return pino(options, destination)
  const transport = pino.transport({ targets: appTargets(c) })
  // A log target failing (disk full, bad path) must not take the server down.
  transport.on('error', (err: Error) => process.stderr.write(`flyer: log transport error: ${err.message}\n`))
  return pino(options, transport)
}

/**
 * The application logger.
 * @example
 * import { logger } from '#lib/logger.ts'
 * logger().info({ ip }, 'host created')
 */
export const logger = (): Logger => (root ??= createLogger(config()))

/**
 * The access logger: one JSON line per request to `flyer_access_logfile` (`-` = stdout). Asynchronous
 * buffered writes (sonic-boom) so the request path never waits on the disk.
 */
export const accessLogger = (): Logger =>
  (access ??= (() => {
    const c = config()
    const dest =
      c.accessLog.file === '-'
        ? pino.destination({ dest: 1, sync: false, minLength: 4096 })
        : pino.destination({ dest: resolve(c.accessLog.file), sync: false, mkdir: true, minLength: 4096 })
    // Busy servers fill the 4 KiB buffer often; a quiet one still shows its lines within a second.
    setInterval(() => {
      try {
        dest.flush()
      } catch {
        // closed at shutdown
      }
    }, 1000).unref()
    return pino({ base: undefined, timestamp: false, level: 'info' }, dest)
  })())

/** Replaces the loggers (tests hand in loggers writing to memory). */
export const setLoggers = (next: { app?: Logger; access?: Logger }): void => {
  if (next.app) root = next.app
  if (next.access) access = next.access
}

/** Flushes buffered lines; shutdown awaits this so no line is lost. */
export const flushLogs = async (): Promise<void> => {
  const flush = (l: Logger | undefined) =>
    new Promise<void>((done) => {
      if (!l) return done()
      try {
        l.flush((err) => done(void err))
      } catch {
        done()
      }
    })
  await Promise.all([flush(root), flush(access)])
}
