import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { FLYER_RESPONSE } from './final-headers.ts'
import { currentRssMb } from './memory.ts'

/** node:http's internal `_storeHeader(statusLine, headers)`: builds the header block writeHead sends. */
type StoreHeader = (this: ServerResponse, firstLine: string, headers: OutgoingHttpHeaders | OutgoingHttpHeader[] | null) => void
const storeHeader = (ServerResponse.prototype as unknown as { _storeHeader?: StoreHeader })._storeHeader

/** Every Node.js Flyer supports has it (a test pins that); `serveNode` refuses to start without it. */
export const nativeHeadersSupported = typeof storeHeader === 'function'

const CONTRACT = ['x-lasting-time', 'x-memory-usage', 'x-content-type-options']

/**
 * Headers the app set itself under a contract name are dropped: Flyer's own value wins, sent once.
 * Checked by name length first, so a response without any (all of them, in practice) is a short loop.
 */
/** Whether `name` is one of Flyer's contract headers (length first: most names are not). */
const isContract = (name: unknown, idHeader: string): boolean => {
  if (typeof name !== 'string') return false
  const n = name.length
  if (n !== 14 && n !== 22 && n !== idHeader.length) return false
  const lower = name.toLowerCase()
  return lower === idHeader || CONTRACT.includes(lower)
}

const withoutContract = (res: ServerResponse, headers: OutgoingHttpHeaders | OutgoingHttpHeader[], idHeader: string): OutgoingHttpHeaders | OutgoingHttpHeader[] => {
  if (!Array.isArray(headers)) {
    // The common case, once per response: a plain object without any of them, checked with no allocation.
    let found = false
    for (const name in headers) if (isContract(name, idHeader)) found = true
    if (!found) return headers
  }
  const owned = (name: unknown) => isContract(name, idHeader)
  if (Array.isArray(headers)) {
    // Raw lists: flat [name, value, name, value] or nested [[name, value]].
    if (headers.length && Array.isArray(headers[0])) {
      const pairs = headers as unknown as [string, OutgoingHttpHeader][]
      return pairs.some(([k]) => owned(k)) ? (pairs.filter(([k]) => !owned(k)) as unknown as OutgoingHttpHeader[]) : headers
    }
    if (!headers.some((v, i) => i % 2 === 0 && owned(v))) return headers
    const kept: OutgoingHttpHeader[] = []
    for (let i = 0; i < headers.length; i += 2) if (!owned(headers[i])) kept.push(headers[i]!, headers[i + 1]!)
    return kept
  }
  // Set with setHeader (the object is this response's own store): remove there. Else a copy without them.
  if (res.getHeaderNames().some(owned)) {
    for (const name of res.getHeaderNames()) if (owned(name)) res.removeHeader(name)
    return headers
  }
  const copy: OutgoingHttpHeaders = {}
  for (const name in headers) if (!owned(name)) copy[name] = headers[name]
  return copy
}

/**
 * How Flyer's contract headers (X-Request-ID, X-Lasting-Time, X-Memory-Usage, X-Content-Type-Options)
 * reach the wire.
 *
 * On Node, @hono/node-server writes a Response whose body is a string straight to `writeHead` + `end`.
 * A middleware calling `c.header()` after `await next()` makes Hono rebuild the Response around a
 * stream and node-server pump that stream: measured on a 2-core box, that cost 85% of the throughput.
 * So under `serveNode` the headers are added here, as the header block is built (`_storeHeader`), and
 * the middleware see `nativeResponse(c.env)` and leave them alone. Elsewhere (Bun, `app.request()`
 * in tests) the middleware set them on the finished Response's own Headers, which keeps the Response.
 */
export class FlyerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Set by the request-id middleware; when the app never ran (a malformed request) a UUID is made here. */
  requestId: string | undefined = undefined
  /** Lower-case; a valid header name (checked by the request-id middleware). */
  requestIdHeader = 'x-request-id'
  /** When node:http handed the request over (performance.now()): X-Lasting-Time counts from here. */
  readonly startedAt = performance.now()

  /**
   * The four headers go straight into the header block, after the status line. Passed through
   * `writeHead`'s headers object instead, node:http copies, validates and formats each one: measured on
   * this 2-core box, that was 4 µs of a 20 µs request (a fifth of bare Hono's throughput). The values
   * need no check: a validated or generated id, an integer, a number + "MB", a constant.
   */
  _storeHeader(firstLine: string, headers: OutgoingHttpHeaders | OutgoingHttpHeader[] | null): void {
    const id = this.requestId ?? crypto.randomUUID()
    const block = `${firstLine}${this.requestIdHeader}: ${id}\r\nx-lasting-time: ${Math.round(performance.now() - this.startedAt)}\r\nx-memory-usage: ${currentRssMb()}MB\r\nx-content-type-options: nosniff\r\n`
    storeHeader!.call(this, block, headers === null || typeof headers !== 'object' ? headers : withoutContract(this, headers, this.requestIdHeader))
  }
}

// The brand `nativeResponse` (final-headers.ts) looks for: that module stays free of node:http, which Bun
// does not need and takes ~25 ms to load.
Object.defineProperty(FlyerResponse.prototype, FLYER_RESPONSE, { value: true })
