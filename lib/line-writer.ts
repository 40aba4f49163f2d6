import { EventEmitter } from 'node:events'
import { closeSync, mkdirSync, openSync, write, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Writes one encoded line into `buf` at `off` and returns the offset after it. */
export type LineEncoder<T> = (buf: Buffer, off: number, value: T) => number

/**
 * Appends whole lines to a file: lines are encoded into a batch buffer and written with one `write()`
 * per batch (at 64 KiB, or every `flushMs`), one batch in flight at a time, to a file opened `O_APPEND`.
 * Several processes can share the file: on a local file system an appending `write()` is not
 * interleaved with another, and every batch holds whole lines only.
 *
 * Why not sonic-boom (pino.destination): measured here it costs ~3 µs a line on the request path, this
 * under 1. Lines are UTF-8 bytes in the batch as soon as they are queued — as a string (`write`) or
 * encoded in place by the caller (`writeWith`, the access log's lines: no string made at all) — so no
 * batch of strings is joined and encoded again.
 */
export class LineWriter extends EventEmitter {
  private readonly fd: number
  private readonly capacity: number
  /** The batch being filled, `used` bytes of it so far. */
  private buf: Buffer
  private used = 0
  /** Filled batches waiting for the one in flight: each buffer and the bytes used of it. */
  private sealed: { buf: Buffer; used: number }[] = []
  /** A batch buffer whose write finished, for the next one. */
  private spare: Buffer | undefined
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
    // Room past the batch size for the line that fills it.
    this.capacity = maxBatch + 16 * 1024
    this.buf = Buffer.allocUnsafe(this.capacity)
    this.timer = setInterval(() => this.flush(), flushMs)
    this.timer.unref()
  }

  /** Queues `chunk` (one or more whole lines). */
  write(chunk: string): boolean {
    if (this.closed) return false
    this.reserve(chunk.length * 3)
    this.used += this.buf.write(chunk, this.used)
    this.queued()
    return true
  }

  /**
   * Queues one line that `encode` writes straight into the batch, at most `bound` bytes, with no string
   * in between.
   */
  writeWith<T>(bound: number, encode: LineEncoder<T>, value: T): boolean {
    if (this.closed) return false
    this.reserve(bound)
    this.used = encode(this.buf, this.used, value)
    this.queued()
    return true
  }

  /** Writes what is queued; `cb` runs once it is on disk (in the kernel). */
  flush(cb?: () => void): void {
    if (cb) this.waiters.push(cb)
    if (!this.writing) this.drain()
  }

  /** Makes room for `bytes` more: a batch without it is sealed, and a line larger than a batch gets its own. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buf.length) return
    this.seal()
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes)
  }

  private seal(): void {
    if (this.used === 0) return
    this.sealed.push({ buf: this.buf, used: this.used })
    this.buf = this.spare ?? Buffer.allocUnsafe(this.capacity)
    this.spare = undefined
    this.used = 0
  }

  private queued(): void {
    if (!this.writing && (this.used >= this.maxBatch || this.sealed.length)) this.drain()
  }

  private drain(): void {
    this.seal()
    if (!this.sealed.length) {
      for (const w of this.waiters.splice(0)) w()
      return
    }
    const only = this.sealed.length === 1 ? this.sealed[0]! : undefined
    const buf = only ? only.buf.subarray(0, only.used) : Buffer.concat(this.sealed.map((b) => b.buf.subarray(0, b.used)))
    // A batch buffer of the usual size is used again once its bytes are written.
    const reuse = only?.buf.length === this.capacity ? only.buf : undefined
    this.sealed = []
    this.writing = true
    const writeFrom = (offset: number) =>
      write(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
        if (err) {
          this.emit('error', err)
        } else if (offset + n < buf.length) {
          return writeFrom(offset + n)
        }
        this.writing = false
        if (reuse) this.spare = reuse
        // Only a full batch, or someone waiting, goes at once; the rest waits for the timer. Draining on
        // every completion wrote a few lines at a time under load (one thread-pool round trip per
        // couple of requests).
        if (this.used >= this.maxBatch || this.sealed.length || this.waiters.length) this.drain()
      })
    writeFrom(0)
  }

  /** Writes the rest synchronously, closes the file and emits `close`. */
  end(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    const finish = () => {
      this.seal()
      try {
        for (const { buf, used } of this.sealed) {
          for (let at = 0; at < used; ) at += writeSync(this.fd, buf, at, used - at)
        }
        this.sealed = []
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
