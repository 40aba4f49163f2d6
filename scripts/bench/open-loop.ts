import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'

/**
 * An open-loop load generator: requests leave at a fixed rate whether or not earlier ones have been
 * answered, and each latency is counted from the moment its request was due (not from when a connection
 * was free to send it), so a server that stalls is charged for every request that waited — what wrk and
 * autocannon's closed loops hide. It compares latency "at the same load": two servers given the same
 * req/s. autocannon's `-R` sends each second's requests in a burst, so it cannot stand in for this.
 */

export interface OpenLoopOptions {
  host: string
  port: number
  method: 'GET' | 'POST'
  path: string
  body?: string
  headers?: Record<string, string>
  /** Requests per second. */
  rate: number
  /** Seconds sent at the rate before latencies are recorded. */
  warmupSec: number
  /** Seconds whose requests are recorded. */
  durationSec: number
  /** Keep-alive connections; a request due while all are busy waits (and that wait is its latency). */
  connections: number
  /** How long to wait for the last answers after the last request was due. */
  drainMs?: number
}

export interface OpenLoopResult {
  rate: number
  /** Requests recorded (after the warm-up) and answered. */
  recorded: number
  /** Requests unanswered, refused or answered with a status ≥ 400, warm-up included. */
  errors: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

/**
 * Splits a keep-alive connection's bytes into HTTP/1.1 responses (Content-Length or chunked bodies) and
 * hands back the status of each one completed.
 */
export class ResponseReader {
  #buf = ''

  push(chunk: Buffer | string): number[] {
    this.#buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1')
    const done: number[] = []
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n')
      if (end < 0) break
      const head = this.#buf.slice(0, end)
      const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)
      let total = end + 4
      if (length) total += Number(length[1])
      else if (/\r\ntransfer-encoding:[ \t]*chunked/i.test(head)) {
        const last = this.#buf.indexOf('\r\n0\r\n\r\n', end)
        if (last < 0) break
        total = last + 7
      }
      if (this.#buf.length < total) break
      done.push(Number(head.slice(9, 12)))
      this.#buf = this.#buf.slice(total)
    }
    return done
  }
}

/** The value below which a fraction `q` of the sorted values lie (nearest rank). */
export const percentile = (sorted: ArrayLike<number>, q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! : Number.NaN)

/** The raw request, sent as is on every connection. */
export const requestBytes = (o: Pick<OpenLoopOptions, 'host' | 'port' | 'method' | 'path' | 'body' | 'headers'>): Buffer => {
  const headers = Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`)
  const body = o.body ?? ''
  const length = o.body === undefined ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`
  return Buffer.from(`${o.method} ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\n${headers.join('')}${length}\r\n${body}`)
}

interface Conn {
  socket: Socket
  reader: ResponseReader
  /** Index of the request in flight, or -1. */
  inFlight: number
  alive: boolean
}

const open = (host: string, port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port, noDelay: true })
    s.once('connect', () => {
      s.off('error', reject)
      resolve(s)
    })
    s.once('error', reject)
  })

/** Sends `rate` requests a second for warm-up + duration and reports the recorded latencies. */
export const openLoop = async (o: OpenLoopOptions): Promise<OpenLoopResult> => {
  const request = requestBytes(o)
  const interval = 1000 / o.rate
  const total = Math.floor((o.warmupSec + o.durationSec) * o.rate)
  const firstRecorded = Math.floor(o.warmupSec * o.rate)
  const latencies = new Float64Array(total - firstRecorded)
  let recorded = 0
  let answered = 0
  let errors = 0
  const pending: number[] = []
  let pendingHead = 0
  const free: Conn[] = []
  const conns: Conn[] = []
  for (const socket of await Promise.all(Array.from({ length: o.connections }, () => open(o.host, o.port)))) {
    const c: Conn = { socket, reader: new ResponseReader(), inFlight: -1, alive: true }
    conns.push(c)
    free.push(c)
  }

  let t0 = 0
  let scheduled = 0
  let finish!: () => void
  const finished = new Promise<void>((r) => (finish = r))
  const settle = () => {
    if (scheduled === total && answered + errors === total) finish()
  }
  const dispatch = () => {
    while (pendingHead < pending.length && free.length) {
      const c = free.pop()!
      c.inFlight = pending[pendingHead++]!
      c.socket.write(request)
    }
    if (pendingHead > 4096 && pendingHead * 2 > pending.length) {
      pending.splice(0, pendingHead)
      pendingHead = 0
    }
  }
  for (const c of conns) {
    c.socket.on('data', (chunk: Buffer) => {
      for (const status of c.reader.push(chunk)) {
        const i = c.inFlight
        if (i < 0) continue
        const latency = performance.now() - (t0 + i * interval)
        if (status >= 400) errors++
        else {
          answered++
          if (i >= firstRecorded) latencies[recorded++] = latency
        }
        c.inFlight = -1
        free.push(c)
      }
      dispatch()
      settle()
    })
    const lost = () => {
      if (!c.alive) return
      c.alive = false
      const i = free.indexOf(c)
      if (i >= 0) free.splice(i, 1)
      if (c.inFlight >= 0) errors++
      c.inFlight = -1
      settle()
    }
    c.socket.on('error', lost)
    c.socket.on('close', lost)
  }

  // Busy loop on setImmediate (the generator has a CPU of its own): each request leaves within a few µs
  // of when it is due, where a 1 ms timer would send them in bursts.
  t0 = performance.now() + 1
  const tick = () => {
    const now = performance.now()
    while (scheduled < total && t0 + scheduled * interval <= now) pending.push(scheduled++)
    dispatch()
    if (scheduled < total) setImmediate(tick)
    else settle()
  }
  tick()

  // The last request is due at t0 + total × interval; its answer gets drainMs more.
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((r) => (timer = setTimeout(r, t0 + total * interval - performance.now() + (o.drainMs ?? 5000))))
  await Promise.race([finished, deadline])
  clearTimeout(timer)
  // What never came back (still queued or in flight at the deadline) counts as failed.
  errors = total - answered
  for (const c of conns) c.socket.destroy()

  const sorted = latencies.slice(0, recorded).sort()
  return {
    rate: o.rate,
    recorded,
    errors,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  }
}
