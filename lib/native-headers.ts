import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Context } from 'hono'
import { currentRssMb } from './memory.ts'

/**
 * How Flyer's contract headers (X-Request-ID, X-Lasting-Time, X-Memory-Usage, X-Content-Type-Options)
 * reach the wire.
 *
 * On Node, @hono/node-server writes a Response whose body is a string straight to `writeHead` + `end`.
 * A middleware calling `c.header()` after `await next()` makes Hono rebuild the Response around a
 * stream and node-server pump that stream: measured on a 2-core box, that cost 85% of the throughput.
 * So under `serveNode` the headers are added here, in `writeHead`, for the price of four properties;
 * the middleware see `nativeResponse(c.env)` and leave them alone. Elsewhere (Bun, `app.request()`
 * in tests) the middleware set them on the finished Response's own Headers, which keeps the Response.
 */
export class FlyerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** Set by the request-id middleware; when the app never ran (a malformed request) a UUID is made here. */
  requestId: string | undefined = undefined
  requestIdHeader = 'x-request-id'
  /** When node:http handed the request over (performance.now()): X-Lasting-Time counts from here. */
  readonly startedAt = performance.now()

  override writeHead(statusCode: number, reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
    const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined
    const headers = typeof reasonOrHeaders === 'string' ? maybeHeaders : reasonOrHeaders
    const id = this.requestId ?? crypto.randomUUID()
    const lasting = String(Math.round(performance.now() - this.startedAt))
    const memory = `${currentRssMb()}MB`
    let merged: OutgoingHttpHeaders | OutgoingHttpHeader[]
    if (Array.isArray(headers) || this.requestIdHeader !== 'x-request-id') {
      // Raw header lists (and a renamed id header) go through setHeader; node:http merges them.
      this.setHeader(this.requestIdHeader, id)
      this.setHeader('x-lasting-time', lasting)
      this.setHeader('x-memory-usage', memory)
      this.setHeader('x-content-type-options', 'nosniff')
      merged = headers ?? {}
    } else {
      // Copied key by key: V8 builds `{ ...headers, 'x-a': a }` on a slow path (~3 µs, measured), a for-in
      // copy plus four stores costs ~30 ns. A copy, because the object may be the app's own constant.
      const copy: OutgoingHttpHeaders = {}
      for (const name in headers) copy[name] = headers[name]
      copy['x-request-id'] = id
      copy['x-lasting-time'] = lasting
      copy['x-memory-usage'] = memory
      copy['x-content-type-options'] = 'nosniff'
      merged = copy
    }
    return reason === undefined ? super.writeHead(statusCode, merged) : super.writeHead(statusCode, reason, merged)
  }
}

/** The Node response when the app runs under `serveNode` (which then writes the headers), else undefined. */
export const nativeResponse = (env: unknown): FlyerResponse | undefined => {
  const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing
  return outgoing instanceof FlyerResponse ? outgoing : undefined
}

/**
 * Sets headers on the finished response in place. `c.header()` after `await next()` would rebuild the
 * Response (body turned into a stream); its own Headers are mutable unless it came from `fetch()`.
 */
export const setFinalHeaders = (c: Context, headers: Record<string, string>): void => {
  let target = c.res.headers
  try {
    for (const name in headers) target.set(name, headers[name]!)
  } catch {
    // An immutable Response (proxied from fetch): copy it once, then set.
    c.res = new Response(c.res.body, c.res)
    target = c.res.headers
    for (const name in headers) target.set(name, headers[name]!)
  }
}
