import type { Config } from './config.ts'
import type { LogStreamName } from './log-forward.ts'

type Level = 'info' | 'warn' | 'error'

/** What the primary writes through once its log is open (`openLogWriters` below). */
export interface LogWriters {
  line(level: Level, fields: object, msg: string): void
  forwarded(stream: LogStreamName, data: string): void
  close(): Promise<void>
}

export interface PrimaryLog {
  info(fields: object, msg: string): void
  warn(fields: object, msg: string): void
  error(fields: object, msg: string): void
  /** A batch of whole lines a worker forwarded. */
  forwarded(stream: LogStreamName, data: string): void
  /** Opens the writers (once) and writes what waited, in order. Rejects if they cannot be opened. */
  open(): Promise<void>
  /** Opens if need be, then flushes and closes the writers. */
  close(): Promise<void>
}

/**
 * The primary's log, opened late. Loading pino and opening the rotated app log (pino-roll) is most of
 * the primary's own start-up (measured here: ~20 ms of pino; pino-roll 85–115 ms from the package, ~9 ms
 * from the build's own bundle of it, scripts/bundle.ts), and until a worker listens that CPU is better
 * spent on the worker. So the primary forks first and opens its log
 * when `open()` is called — when a worker listens, dies, or after a second, or at shutdown. Lines
 * logged before that, its own and the workers' forwarded batches, wait in memory and are written in
 * the order they came (the primary's own lines then carry the time they were written).
 * @example
 * const log = primaryLog(openLogWriters(config()))
 * log.info({ workers: 2 }, 'starting')  // held until…
 * await log.open()                       // …now
 */
export const primaryLog = (load: () => Promise<LogWriters>): PrimaryLog => {
  let writers: LogWriters | undefined
  let opening: Promise<void> | undefined
  let waiting: ((w: LogWriters) => void)[] = []
  const run = (write: (w: LogWriters) => void) => {
    if (writers) write(writers)
    else waiting.push(write)
  }
  const at = (level: Level) => (fields: object, msg: string) => run((w) => w.line(level, fields, msg))
  const release = (w: LogWriters) => {
    writers = w
    const held = waiting
    waiting = []
    for (const write of held) write(w)
  }
  const open = () =>
    (opening ??= load().then(release, (err: unknown) => {
      // Nothing held is lost: it goes to stderr, as does everything after.
      stderrWriters.line('error', { err }, 'the log could not be opened: writing it to stderr')
      release(stderrWriters)
      throw err
    }))
  return {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    forwarded: (stream, data) => run((w) => w.forwarded(stream, data)),
    open,
    close: async () => {
      // A log that failed to open has said so on stderr, where its lines went.
      await open().catch(() => {})
      await writers!.close()
    },
  }
}

/** An Error as JSON keeps its message and stack (JSON.stringify alone gives `{}`). */
const errorsAsJson = (_key: string, v: unknown) => (v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v)

/** Where the primary's log goes when its writers cannot be opened: one JSON line each on stderr. */
const stderrWriters: LogWriters = {
  line: (level, fields, msg) => void process.stderr.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, ...fields, msg }, errorsAsJson)}\n`),
  forwarded: (_stream, data) => void process.stderr.write(data),
  close: async () => {},
}

/** The real writers: pino to stdout and the rotated app log (`openPrimaryLogs`), loaded when called. */
export const openLogWriters = (c: Config) => async (): Promise<LogWriters> => {
  const [{ closeLogs, logger, openPrimaryLogs, writeForwarded }, { setCurrentConfig }] = await Promise.all([import('./logger.ts'), import('./current-config.ts')])
  // The configuration the first worker validated and sent: the primary loads no schema (zod) for it.
  setCurrentConfig(c)
  await openPrimaryLogs(c)
  const log = logger()
  return {
    line: (level, fields, msg) => log[level](fields, msg),
    forwarded: (stream, data) => writeForwarded(stream, data, c),
    close: closeLogs,
  }
}
