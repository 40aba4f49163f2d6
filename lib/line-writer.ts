import { EventEmitter } from 'node:events'
import { closeSync, mkdirSync, openSync, write, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Appends whole lines to a file: lines are batched in memory and written with one `write()` per batch
 * (at 64 KiB, or every `flushMs`), one batch in flight at a time, to a file opened `O_APPEND`. Several
 * processes can share the file: on a local file system an appending `write()` is not interleaved with
 * another, and every batch holds whole lines only.
 *
 * Why not sonic-boom (pino.destination): measured here it costs ~3 µs a line on the request path, this
 * ~0.7 µs; the access log writes one line per request.
 */
export class LineWriter extends EventEmitter {
  private readonly fd: number
  private batch: string[] = []
  private size = 0
  private writing = false
  private closed = false
  private waiters: (() => void)[] = []
  private readonly timer: NodeJS.Timeout

  constructor(
    file: string,
    private readonly maxBatch = 64 * 1024,
    flushMs = 250,
  ) {
    super()
    mkdirSync(dirname(file), { recursive: true })
    this.fd = openSync(file, 'a')
    this.timer = setInterval(() => this.flush(), flushMs)
    this.timer.unref()
  }

  /** Queues `chunk` (one or more whole lines). */
  write(chunk: string): boolean {
    if (this.closed) return false
    this.batch.push(chunk)
    this.size += chunk.length
    if (this.size >= this.maxBatch && !this.writing) this.drain()
    return true
  }

  /** Writes what is queued; `cb` runs once it is on disk (in the kernel). */
  flush(cb?: () => void): void {
    if (cb) this.waiters.push(cb)
    if (!this.writing) this.drain()
  }

  private drain(): void {
    if (!this.batch.length) {
      for (const w of this.waiters.splice(0)) w()
      return
    }
    const data = this.batch.length === 1 ? this.batch[0]! : this.batch.join('')
    this.batch = []
    this.size = 0
    this.writing = true
    const buf = Buffer.from(data)
    const writeFrom = (offset: number) =>
      write(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
        if (err) {
          this.emit('error', err)
        } else if (offset + n < buf.length) {
          return writeFrom(offset + n)
        }
        this.writing = false
        // Only a full batch, or someone waiting, goes at once; the rest waits for the timer. Draining on
        // every completion wrote a few lines at a time under load (one thread-pool round trip per
        // couple of requests).
        if (this.size >= this.maxBatch || this.waiters.length) this.drain()
      })
    writeFrom(0)
  }

  /** Writes the rest synchronously, closes the file and emits `close`. */
  end(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    const finish = () => {
      const rest = this.batch.join('')
      this.batch = []
      try {
        if (rest) writeSync(this.fd, rest)
        closeSync(this.fd)
      } catch (err) {
        this.emit('error', err)
      }
      for (const w of this.waiters.splice(0)) w()
      this.emit('close')
    }
    if (this.writing) this.waiters.push(finish)
    else finish()
  }
}
