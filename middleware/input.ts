import type { Context, Handler } from 'hono'
import { getCookie } from 'hono/cookie'
import { $ZodAsyncError } from 'zod/v4/core'
import { arrivedBody, plainLength } from '#lib/raw-body.ts'
import { keepJson } from './json-body.ts'

type Result = { success: true; data: unknown } | { success: false; error: unknown }

/** A zod schema, as far as validation uses it. */
interface Schema {
  safeParse(value: unknown): Result
  safeParseAsync(value: unknown): Promise<Result>
}

/** The app's validation hook (the 40000 envelope), as zod-openapi's `defaultHook` receives it. */
export type InputHook = (result: Result & { data?: unknown; target: string }, c: Context) => Response | undefined | void

export interface InputOptions {
  hook: InputHook
  /** `flyer_body_limit`, in bytes. */
  bodyLimit: number
  /** The 413 envelope. */
  tooLarge: (c: Context) => Response
}

/** What a route file declares under `request` (zod-openapi's `RouteConfig['request']`), loosely. */
interface RequestParts {
  params?: unknown
  query?: unknown
  headers?: unknown
  cookies?: unknown
  body?: { content?: Record<string, { schema?: unknown } | undefined>; required?: boolean }
}

/** The answer to give instead (an envelope), or nothing to go on. */
type Outcome = Response | undefined
type Maybe<T> = T | Promise<T>

/** Content-Types every JSON check on the general path (Flyer's, zod-openapi's gate, Hono's validator) accepts as is. */
const PLAIN_JSON = /^application\/json(;\s*charset=utf-8)?$/i

const isSchema = (s: unknown): s is Schema =>
  typeof s === 'object' && s !== null && '_zod' in s && typeof (s as Partial<Schema>).safeParse === 'function'

/** Schemas with async refinements or transforms: parsed with `safeParseAsync` once found out. */
const asyncSchemas = new WeakSet<Schema>()

const parse = (schema: Schema, value: unknown): Maybe<Result> => {
  if (!asyncSchemas.has(schema)) {
    try {
      return schema.safeParse(value)
    } catch (err) {
      if (!(err instanceof $ZodAsyncError)) throw err
      asyncSchemas.add(schema)
    }
  }
  return schema.safeParseAsync(value)
}

/** One declared request part: where its value comes from, as Hono's `validator()` reads it. */
interface Part {
  target: 'query' | 'param' | 'header' | 'cookie' | 'json'
  schema: Schema
  read: (c: Context) => unknown
}

const readQuery = (c: Context) => Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => (v.length === 1 ? [k, v[0]] : [k, v])))
const readParam = (c: Context) => c.req.param()
const readCookie = (c: Context) => getCookie(c)
/** What `keepJson` parsed (the value `c.req.json()` resolves to). */
const readJson = (c: Context) => c.get('loggedBody')

/** Headers arrive lower-cased; @hono/zod-validator maps them back to the schema's own spelling. */
const headerReader = (schema: Schema) => {
  const shape = ('in' in schema ? (schema.in as { shape?: object }).shape : (schema as { shape?: object }).shape) ?? {}
  const keymap: Record<string, string> = Object.fromEntries(Object.keys(shape).map((key) => [key.toLowerCase(), key]))
  return (c: Context) => Object.fromEntries(Object.entries(c.req.header()).map(([key, value]) => [keymap[key] ?? key, value]))
}

/**
 * The whole input step of a route — body limit, JSON parsing and every declared validator — as one
 * function, or `undefined` when the route declares something it does not cover (form bodies, other
 * media types, non-zod schemas): such routes keep zod-openapi's validator chain.
 *
 * On the general path a POST ran five layers (the core, body limit + JSON, zod-openapi's media-type
 * gate, Hono's validator, the handler), each an awaited dispatch; validating in one step and calling the
 * handler directly took a third off the demo POST's CPU in process. It answers as that chain does: it
 * runs the same JSON parser, the same zod schemas (synchronously unless one is async) and the same
 * hook, in the same order (body, then query, path, header, cookie, then the body's schema). Requests
 * whose framing or Content-Type that chain treats specially — no Content-Length, chunked, no or an
 * unusual Content-Type — are handed to `general`, the chain itself, so edge cases keep one implementation.
 * @example
 * const step = fastInput(true, config.request, { hook, bodyLimit, tooLarge }) // a POST: the app parses its body
 * app.post('/demo', wrap(step!(handler, generalChain)))
 */
export const fastInput = (
  /** Whether the app reads this route's body (its method carries one): the same rule as its body layer. */
  readsBody: boolean,
  request: RequestParts | undefined,
  { hook, bodyLimit, tooLarge }: InputOptions,
) => {
  const parts: Part[] = []
  const add = (target: Part['target'], schema: unknown, read: Part['read']) => {
    if (!isSchema(schema)) return false
    parts.push({ target, schema, read })
    return true
  }
  if (request?.query !== undefined && !add('query', request.query, readQuery)) return undefined
  if (request?.params !== undefined && !add('param', request.params, readParam)) return undefined
  if (request?.headers !== undefined && !(isSchema(request.headers) && add('header', request.headers, headerReader(request.headers)))) return undefined
  if (request?.cookies !== undefined && !add('cookie', request.cookies, readCookie)) return undefined
  const content = request?.body?.content
  const declaresBody = content !== undefined
  if (declaresBody) {
    const types = Object.keys(content)
    // One JSON schema under exactly `application/json`: the common case, and one validator on the general path.
    if (types.length !== 1 || types[0] !== 'application/json' || !add('json', content['application/json']?.schema, readJson)) return undefined
  }
  // A body declared on a GET is read by Hono's validator alone, without Flyer's JSON parser: not covered.
  if (declaresBody && !readsBody) return undefined

  /** Validates parts[from..]; the first failure answers with the hook's envelope. */
  const validate = (c: Context, from: number): Maybe<Outcome> => {
    for (let i = from; i < parts.length; i++) {
      const part = parts[i]!
      const value = part.read(c)
      const got = settle(c, part, value, parse(part.schema, value))
      if (got instanceof Promise) return got.then((out) => out ?? validate(c, i + 1))
      if (got !== undefined) return got
    }
    return undefined
  }
  const settle = (c: Context, part: Part, value: unknown, result: Maybe<Result>): Maybe<Outcome> => {
    if (result instanceof Promise) return result.then((r) => settle(c, part, value, r))
    // What @hono/zod-validator hands the hook (`{ data: value, ...result, target }`), built without the
    // spread: spreading a failed result copies it through its lazy `error` getter, slowly.
    const answer = hook(result.success ? { success: true, data: result.data, target: part.target } : { success: false, data: value, error: result.error, target: part.target }, c)
    if (answer instanceof Response) return answer
    if (!result.success) return c.json(result, 400)
    c.req.addValidatedData(part.target, result.data as object)
    return undefined
  }

  /** Reads and parses a JSON body, when the request is framed and labelled plainly; `false` hands it to the general path. */
  const body = (c: Context): false | Maybe<Outcome> => {
    if (!readsBody) return undefined
    const contentType = c.req.header('content-type')
    const length = c.req.header('content-length')
    const transferEncoding = c.req.header('transfer-encoding')
    if (transferEncoding !== undefined) return false
    if (contentType === undefined) return !declaresBody && (length === undefined || length === '0') ? undefined : false
    const size = plainLength(length, transferEncoding)
    if (size === undefined || !PLAIN_JSON.test(contentType)) return false
    if (size > bodyLimit) return tooLarge(c)
    // Under serveNode a body that came with the headers is already in memory: parsed with no promise.
    const arrived = arrivedBody(c)
    if (arrived !== undefined) {
      keepJson(c, arrived)
      return undefined
    }
    return c.req.text().then((text) => {
      keepJson(c, text)
      return undefined
    })
  }

  /** The handler behind the input step; `general` answers the requests the step hands over. */
  return (handler: Handler, general: Handler): Handler =>
    function input(c, next) {
      const read = body(c)
      if (read === false) return general(c, next)
      if (read instanceof Response) return read
      const run = (): Maybe<Response> => {
        const out = validate(c, 0)
        if (out instanceof Promise) return out.then((o) => o ?? (handler(c, next) as Maybe<Response>))
        return out ?? (handler(c, next) as Maybe<Response>)
      }
      return read instanceof Promise ? read.then((o) => o ?? run()) : run()
    }
}
