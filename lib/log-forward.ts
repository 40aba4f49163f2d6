import { writeSync } from 'node:fs'

/**
 * Multi-worker logging. Workers do not write log lines themselves: they batch whole lines and send them
 * to the primary over the cluster IPC channel, and the primary is the one writer of stdout, the rotated
 * app log and the access log file. Why not let every worker append on its own:
 * - stdout is a pipe in containers; a write above PIPE_BUF (4 KiB: a stack trace, a big request body)
 *   from two processes can interleave mid-line;
 * - pino-roll renames, links and prunes files; N workers rotating the same file race each other.
 * One writer makes both impossible. A batch is whole lines, so even the fallback (primary gone: write
 * straight to stdout) never splits a line across writes.
 */
export type LogStreamName = 'app' | 'access'

export interface LogMessage {
  flyer: 'log'
  stream: LogStreamName
  data: string
}

export const isLogMessage = (m: unknown): m is LogMessage =>
  typeof m === 'object' && m !== null && (m as LogMessage).flyer === 'log' && typeof (m as LogMessage).data === 'string'

export type SendToPrimary = (message: LogMessage, done: (err?: Error | null) => void) => boolean

/** `process.send`, when this process has an IPC channel to a primary. */
export const processSend = (): SendToPrimary | undefined =>
  typeof process.send === 'function'
    ? (message, done) => {
        if (!process.connected) {
          done(new Error('IPC channel closed'))
          return false
        }
        return process.send!(message, undefined, {}, (err: Error | null) => done(err))
      }
    : undefined

export interface ForwardOptions {
  /** Send once this many characters are buffered. */
  maxChars?: number
  /** …or this long after the first buffered line. */
  delayMs?: number
}

/**
 * A pino destination that forwards whole lines to the primary in batches (one IPC message per batch,
 * not per line, so busy workers do not flood the channel).
 */
export class ForwardStream {
  private buffer = ''
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly pending = new Set<Promise<void>>()
  private readonly maxChars: number
  private readonly delayMs: number

  constructor(
    readonly stream: LogStreamName,
    private readonly send: SendToPrimary,
    { maxChars = 64 * 1024, delayMs = 20 }: ForwardOptions = {},
  ) {
    this.maxChars = maxChars
    this.delayMs = delayMs
  }

  write(line: string): boolean {
    this.buffer += line
    if (this.buffer.length >= this.maxChars) this.sendBuffer()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.sendBuffer(), this.delayMs)
      this.timer.unref()
    }
    return true
  }

  private sendBuffer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (!this.buffer) return
    const data = this.buffer
    this.buffer = ''
    const sent: Promise<void> = new Promise<void>((done) => {
      const fallback = () => {
        // The primary is gone: better a line on stdout than a lost one.
        try {
          writeSync(1, data)
        } catch {
          // stdout closed too
        }
      }
      try {
        this.send({ flyer: 'log', stream: this.stream, data }, (err) => {
          if (err) fallback()
          done()
        })
      } catch {
        fallback()
        done()
      }
    }).then(() => void this.pending.delete(sent))
    this.pending.add(sent)
  }

  /** Sends what is buffered and waits until every batch has been handed to the IPC channel. */
  flush(cb?: (err?: Error) => void): void {
    this.sendBuffer()
    Promise.all([...this.pending]).then(() => cb?.())
  }

  flushed(): Promise<void> {
    return new Promise((done) => this.flush(() => done()))
  }
}
