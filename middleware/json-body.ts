import type { MiddlewareHandler } from 'hono'
import sjson from 'secure-json-parse'
import { ErrorCode, FlyerError } from '#lib/errors.ts'

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/

const mediaType = (contentType: string) => contentType.split(';', 1)[0]!.trim().toLowerCase()

const hasBody = (req: Request) => req.body !== null && req.headers.get('content-length') !== '0'

/** A Content-Type every later check (zod-openapi's media-type gate, Hono's validator) reads the same way. */
const TIDY = /^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w-]+=[^;\s]+)*$/

type Ctx = Parameters<MiddlewareHandler>[0]

/** Replaces the request with one whose Content-Type is `contentType`; the body text is kept cached. */
const relabel = (c: Ctx, contentType: string, text: string) => {
  const raw = c.req.raw
  const headers = new Headers(raw.headers)
  headers.set('content-type', contentType)
  c.req.raw = new Request(raw.url, { method: raw.method, headers, body: text, signal: raw.signal })
  const cache = c.req.bodyCache as Record<string, unknown>
  cache.text = Promise.resolve(text)
}

/**
 * Parses JSON request bodies once, safely, before validation:
 * - a body sent without Content-Type is JSON (the original forced this; its clients rely on it);
 * - `__proto__` / `constructor.prototype` keys are rejected (prototype poisoning), as secure-json-parse does;
 * - malformed JSON is code 40000, never `{}`;
 * - the parsed body is kept for the access log.
 * Non-JSON bodies (forms, text) pass through untouched.
 */
export const jsonBody = (): MiddlewareHandler =>
  async function jsonBody(c, next) {
    const method = c.req.method
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next()
    const raw = c.req.raw
    const contentType = raw.headers.get('content-type')
    if (contentType === null) {
      if (!hasBody(raw)) return next()
      // Flyer's original clients omit Content-Type on JSON bodies: say it for them.
      const text = await c.req.text()
      if (text === '') return next()
      relabel(c, 'application/json', text)
    } else {
      const media = mediaType(contentType)
      if (!JSON_MEDIA.test(media)) return next()
      // `application/json\t;` and friends: JSON to Hono's validator but not to the media-type gate.
      if (!TIDY.test(contentType)) relabel(c, media, await c.req.text())
    }
    keepJson(c, await c.req.text())
    await next()
  }

/**
 * Parses a JSON body's text as `jsonBody()` does, and keeps the result where Hono's validator, the handler
 * (`c.req.json()`) and the access log read it. Malformed JSON and prototype-poisoning keys throw code 40000.
 */
export const keepJson = (c: Ctx, text: string): void => {
  let parsed: unknown
  try {
    parsed = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    const poisoned = err instanceof SyntaxError && /prototype/i.test(err.message)
    throw new FlyerError(
      ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR,
      poisoned ? 'Forbidden key in JSON body (__proto__ or constructor.prototype)' : 'Malformed JSON in request body',
      { httpStatus: 400, cause: err },
    )
  }
  c.set('loggedBody', parsed)
  const ready = Promise.resolve(parsed)
  c.req.json = <T>() => ready as Promise<T>
}
