import { EventEmitter } from 'node:events'
import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import pino, { type DestinationStream, type Logger } from 'pino'
import type { Config } from './config.ts'
// Not config.ts: the primary logs without loading the schema (zod); see current-config.ts.
import { currentConfig as config } from './current-config.ts'
import { ForwardStream, type LogStreamName, type SendToPrimary } from './log-forward.ts'
import { type AccessRecord, accessLineBound, writeAccessLine } from './access-line.ts'
import { LineWriter } from './line-writer.ts'
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

/** A destination that can be ended and awaited (pino transports, sonic-boom). */
type Sink = DestinationStream & { end?: () => void; once?: (event: string, fn: () => void) => unknown; flush?: (cb?: () => void) => void }

let root: Logger | undefined
/** The access log's sink: `info(record)` writes one JSON line. */
export interface AccessSink {
  info(record: AccessRecord): void
  flush(cb: () => void): void
}

let access: AccessSink | undefined
let appSink: Sink | undefined
let accessSink: Sink | undefined
let forward: { app: ForwardStream; access: ForwardStream | undefined } | undefined

/** `logs/flyer.<date>.<n>.log`, a new file daily, `current.log` linking the newest, `flyer_log_retention_days` kept. */
const rollOptions = (c: Config) => ({
  file: resolve(join(c.log.dir, 'flyer')),
  extension: '.log',
  frequency: 'daily',
  dateFormat: 'yyyy-MM-dd',
  mkdir: true,
  symlink: true,
  limit: { count: c.log.retentionDays, removeOtherLogFiles: true },
})

/** Where the app log goes: stdout (pretty in dev) plus the rotated file `logs/flyer.*.log`. */
const appTargets = (c: Config): pino.TransportMultiOptions['targets'] => {
  const targets: pino.TransportMultiOptions['targets'][number][] = [
    c.dev
      ? { target: 'pino-pretty', level: c.log.level, options: { destination: 1, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } }
      : { target: 'pino/file', level: c.log.level, options: { destination: 1 } },
  ]
  if (c.log.file) {
    mkdirSync(resolve(c.log.dir), { recursive: true })
    targets.push({ target: 'pino-roll', level: c.log.level, options: rollOptions(c) })
  }
  return targets
}

type SonicBoom = ReturnType<typeof pino.destination>

/** Set by the build (scripts/bundle.ts): where its own bundle of pino-roll is, from this module's chunk. */
declare const __FLYER_PINO_ROLL__: string | undefined

const reportSinkError = (err: Error) => process.stderr.write(`flyer: log writer error: ${err.message}\n`)

/**
 * The app log's writer: a pino transport (worker thread, pretty-printing in dev) to stdout and the rotated
 * file. With several workers only the primary writes, through `openPrimaryLogs()` instead.
 */
export const appDestination = (c: Config = config()): DestinationStream =>
  (appSink ??= (() => {
    const transport = pino.transport({ targets: appTargets(c) })
    // A log target failing (disk full, bad path) must not take the server down.
    transport.on('error', reportSinkError)
    return transport as Sink
  })())

/** Writes each whole-line chunk to every stream; ends when all of them have closed. */
class Tee extends EventEmitter {
  constructor(private readonly streams: SonicBoom[]) {
    super()
  }

  write(chunk: string): boolean {
    for (const s of this.streams) s.write(chunk)
    return true
  }

  flush(cb?: () => void): void {
    let left = this.streams.length
    if (!left) return cb?.()
    for (const s of this.streams) s.flush(() => --left === 0 && cb?.())
  }

  end(): void {
    let left = this.streams.length
    if (!left) return void this.emit('close')
    for (const s of this.streams) {
      s.once('close', () => --left === 0 && this.emit('close'))
      s.end()
    }
  }
}

/**
 * The primary's app-log writer, in its own thread (it has no requests to keep off the disk, and a
 * transport thread would cost it ~10 MB): stdout plus the pino-roll file, written in whole lines by this
 * one process only. Call before the first log line.
 */
export const openPrimaryLogs = async (c: Config = config()): Promise<void> => {
  if (appSink || c.dev) return
  const streams: SonicBoom[] = [pino.destination({ dest: 1, sync: false }) as SonicBoom]
  if (c.log.file) {
    mkdirSync(resolve(c.log.dir), { recursive: true })
    // pino-roll ships no types; it resolves to a sonic-boom stream. A build has its own copy beside this
    // chunk, with only the date-fns it uses (scripts/bundle.ts): requiring the package took ~100 ms.
    const id = typeof __FLYER_PINO_ROLL__ === 'string' ? __FLYER_PINO_ROLL__ : 'pino-roll'
    const pinoRoll = createRequire(import.meta.url)(id) as (o: ReturnType<typeof rollOptions>) => Promise<SonicBoom>
    streams.push(await pinoRoll(rollOptions(c)))
  }
  for (const s of streams) s.on('error', reportSinkError)
  appSink = new Tee(streams) as unknown as Sink
}

/**
 * The access log's writer, `flyer_access_logfile` (`-` = stdout): buffered asynchronous writes
 * (sonic-boom) of whole lines, appended (O_APPEND), so the request path never waits on the disk.
 */
export const accessDestination = (c: Config = config()): DestinationStream => {
  if (accessSink) return accessSink
  if (c.accessLog.file !== '-') {
    const writer = new LineWriter(resolve(c.accessLog.file))
    writer.on('error', reportSinkError)
    return (accessSink = writer as unknown as Sink)
  }
  const dest = pino.destination({ dest: 1, sync: false, minLength: 4096 })
  // Busy servers fill the 4 KiB buffer often; a quiet one still shows its lines within a second.
  setInterval(() => {
    try {
      dest.flush()
    } catch {
      // closed at shutdown
    }
  }, 1000).unref()
  return (accessSink = dest)
}

/**
 * Builds a logger. Pass `destination` (tests, benchmarks) to skip transports and write to that stream.
 */
export const createLogger = (c: Config, destination?: DestinationStream): Logger =>
  pino(
    {
      level: c.log.level,
      base: { pid: process.pid },
      redact: { paths: redactPaths, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? forward?.app ?? appDestination(c),
  )

/**
 * The application logger.
 * @example
 * import { logger } from '#lib/logger.ts'
 * logger().info({ ip }, 'host created')
 */
export const logger = (): Logger => (root ??= createLogger(config()))

/**
 * The access logger: one JSON line per request to `flyer_access_logfile` (`-` = stdout). Asynchronous
 * buffered writes so the request path never waits on the disk.
 */
export const accessLogger = (): AccessSink =>
  (access ??= (() => {
    const dest = forward?.access ?? accessDestination(config())
    // One JSON line per record; pino's logger machinery adds ~1 µs a line and nothing this log uses.
    // To a file, the line is encoded straight into the writer's batch (access-line.ts), byte for byte
    // what JSON.stringify gives, without making the string.
    const file = dest instanceof LineWriter ? dest : undefined
    return {
      info: (record: AccessRecord) => {
        const bound = file && accessLineBound(record)
        if (bound !== undefined) file!.writeWith(bound, writeAccessLine, record)
        else dest.write(`${JSON.stringify(record)}\n`)
      },
      flush: (cb: () => void) => ((dest as Sink).flush ? (dest as Sink).flush!(cb) : cb()),
    }
  })())

/**
 * Makes this process (a cluster worker) send its log lines to the primary instead of writing them;
 * call before the first log line. See `log-forward.ts` for why.
 */
export const forwardLogsTo = (send: SendToPrimary, c: Config = config()): void => {
  // An access log going to a file is appended by each worker itself (O_APPEND, whole lines per write, so
  // lines never interleave on a local file system) — the IPC hop cost workers a third of their throughput.
  // Stdout is a pipe, where only the primary may write.
  forward = { app: new ForwardStream('app', send), access: c.accessLog.file === '-' ? new ForwardStream('access', send) : undefined }
}

/** The primary writes a batch a worker forwarded: whole lines, to the same writers its own log uses. */
export const writeForwarded = (stream: LogStreamName, data: string, c: Config = config()): void => {
  ;(stream === 'app' ? appDestination(c) : accessDestination(c)).write(data)
}

/** Replaces the loggers (tests hand in loggers writing to memory). */
export const setLoggers = (next: { app?: Logger; access?: AccessSink }): void => {
  if (next.app) root = next.app
  if (next.access) access = next.access
}

const flushLogger = (l: Pick<Logger, 'flush'> | AccessSink | undefined) =>
  new Promise<void>((done) => {
    if (!l) return done()
    try {
      l.flush(() => done())
    } catch {
      done()
    }
  })

/** Flushes buffered lines (forwarded ones are handed to the primary). */
export const flushLogs = async (): Promise<void> => {
  await Promise.all([flushLogger(root), flushLogger(access)])
  if (forward) await Promise.all([forward.app.flushed(), forward.access?.flushed()])
}

const endSink = (sink: Sink | undefined, timeoutMs: number) =>
  new Promise<void>((done) => {
    if (!sink?.end || !sink.once) return done()
    const timer = setTimeout(done, timeoutMs)
    sink.once('close', () => {
      clearTimeout(timer)
      done()
    })
    try {
      sink.end()
    } catch {
      clearTimeout(timer)
      done()
    }
  })

/**
 * The last thing before exit: flushes every buffered line and waits until the writers have written them
 * (transport thread ended, file closed). After this the loggers must not be used.
 */
export const closeLogs = async (timeoutMs = 5000): Promise<void> => {
  await flushLogs()
  if (forward) {
    if (!forward.access) await endSink(accessSink, timeoutMs)
    return
  }
  await Promise.all([endSink(appSink, timeoutMs), endSink(accessSink, timeoutMs)])
}
