import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'

/** A node:http request whose whole body `takeArrivedBody` took off the stream. */
type WithRawBody = IncomingMessage & { rawBody?: Buffer }

const DIGITS = /^\d+$/
const utf8 = new TextDecoder()

/**
 * The body's size when it is framed plainly: a Content-Length of digits and no Transfer-Encoding (which
 * would win over it); `undefined` for a missing or malformed length, or a chunked body. The one rule the
 * body limit, the one-step input and the server's body taking share.
 */
export const plainLength = (contentLength: string | undefined, transferEncoding: string | undefined): number | undefined =>
  contentLength !== undefined && transferEncoding === undefined && DIGITS.test(contentLength) ? Number(contentLength) : undefined

/**
 * The size of the body a request announces when it is 1 to `limit` bytes, plainly framed (`plainLength`):
 * one `takeArrivedBody` may find already in memory. `undefined` for any other request.
 */
export const smallBodySize = (req: IncomingMessage, limit: number): number | undefined => {
  const method = req.method
  if (method === 'GET' || method === 'HEAD') return undefined
  const size = plainLength(req.headers['content-length'], req.headers['transfer-encoding'])
  return size !== undefined && size > 0 && size <= limit ? size : undefined
}

/**
 * Takes the request's body off its stream when node:http has already parsed all of it, and keeps it as
 * `req.rawBody` (the property @hono/node-server reads a body from instead of the stream, as on Cloud
 * Functions). Returns whether it did; a body still on its way is left to the stream.
 *
 * node:http emits a request from inside its parser, as soon as the headers are parsed; the body's bytes
 * that came in the same packet (a small JSON POST, nearly always) are pushed into the request's stream
 * after the listener returns, and microtasks run right after that push. So a microtask after the
 * listener finds them buffered, and the app can read them with no promise, no stream events and no ticks
 * (`arrivedBody`). With Content-Length framing, `readableLength` equal to `size` (`smallBodySize`) is the
 * whole body, though the parser marks the message complete a moment later.
 */
export const takeArrivedBody = (req: WithRawBody, size: number): boolean => {
  if (req.readableLength !== size) return false
  try {
    const body = req.read() as Buffer | null
    if (body === null) return false
    req.rawBody = body
    // Nothing is left to flow: the stream ends (readableEnded) as soon as the parser reaches the message's
    // end, so neither node:http nor @hono/node-server drains it after the response.
    req.resume()
    return true
  } catch {
    return false
  }
}

/**
 * The body `takeArrivedBody` took for this request (under `serveNode`), decoded as `Request.text()`
 * would (UTF-8, a leading BOM dropped), and cached where Hono's `c.req.text()` finds it; `undefined`
 * when the body is still to be read the usual way (Bun, `app.request()`, a body in several packets).
 */
export const arrivedBody = (c: Context): string | undefined => {
  const raw = (c.env as { incoming?: WithRawBody } | undefined)?.incoming?.rawBody
  if (!(raw instanceof Uint8Array)) return undefined
  const text = utf8.decode(raw)
  ;(c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text)
  return text
}
