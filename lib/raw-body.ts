import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'

/** A node:http request whose whole body `takeArrivedBody` took off the stream. */
type WithRawBody = IncomingMessage & { rawBody?: Buffer }

const DIGITS = /^\d+$/
const utf8 = new TextDecoder()

/**
 * Whether a request announces a body of 1 to `limit` bytes with Content-Length (not chunked): one
 * `takeArrivedBody` may find already in memory.
 */
export const announcesSmallBody = (req: IncomingMessage, limit: number): boolean => {
  const method = req.method
  if (method === 'GET' || method === 'HEAD') return false
  const headers = req.headers
  const length = headers['content-length']
  return length !== undefined && length !== '0' && headers['transfer-encoding'] === undefined && DIGITS.test(length) && Number(length) <= limit
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
 * (`arrivedBody`). With Content-Length framing, `readableLength` equal to it is the whole body, though
 * the parser marks the message complete a moment later.
 */
export const takeArrivedBody = (req: WithRawBody): boolean => {
  if (req.readableLength !== Number(req.headers['content-length'])) return false
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
