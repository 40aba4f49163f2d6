import type { Context, Handler, MiddlewareHandler } from 'hono'
import { OpenAPIHono } from '@hono/zod-openapi'
import { mergePath } from 'hono/utils/url'
import type { Wrap } from '#middleware/core.ts'
import type { Config } from './config.ts'
import { ErrorEnvelope } from './schemas.ts'
import type { RouteEntry } from './route.ts'
import { validateResponse } from './validate-response.ts'

const envelopeResponse = (description: string) => ({ description, content: { 'application/json': { schema: ErrorEnvelope } } })

/** Error responses every operation documents without the route author writing them. */
const errorResponses = (c: Config, hasInput: boolean) => ({
  ...(hasInput
    ? {
        [c.httpErrors ? 422 : 400]: envelopeResponse(
          c.httpErrors
            ? 'Validation failed: code 40000, msg names each bad field'
            : 'Validation failed: code 40000 in the envelope. NOTE: sent with HTTP 200 (the original\'s contract) unless flyer_http_errors=1, which makes it 422',
        ),
      }
    : {}),
  ...(c.auth.enabled ? { 401: envelopeResponse('Missing or wrong credentials (Basic auth)') } : {}),
  500: envelopeResponse('Internal error: code 50000; details are in the server log under the logId'),
})

/** A route file's config completed for `app.openapi()`; `bind.register(app, e)` documents and routes it. */
export type Bind = (<E extends RouteEntry>(entry: E) => E['def']['config'] & { method: E['method']; path: E['path'] }) & {
  register: (app: OpenAPIHono, entry: RouteEntry) => void
}

/** How the app factory puts its own middleware around each route. */
export interface RoutePlan {
  /** The core layer (request id, metrics, timing, access log, timeout): outermost on every route. */
  core: MiddlewareHandler
  /** Basic auth, when it guards the route. */
  auth: (entry: RouteEntry) => MiddlewareHandler | undefined
  /** Body limit + JSON parsing, on the routes of methods that carry a body. */
  body: (entry: RouteEntry) => MiddlewareHandler | undefined
  /** The core as a wrapper around a handler that runs alone (`coreHandler` in middleware/core.ts), told the route's pattern. */
  wrap: Wrap
  /** zod-openapi's default hook (the 40000 envelope), for the validators it builds. */
  hook: unknown
  /** The app's error handler, for the layers a route's input step hands over to. */
  onError: (err: Error, c: Context) => Response | Promise<Response>
  /**
   * The route's whole input step (body + validators) as one handler in front of its own, when it can
   * be (`fastInput` in middleware/input.ts); `general` answers what the step hands over.
   */
  input?: (entry: RouteEntry) => ((handler: Handler, general: Handler) => Handler) | undefined
}

/**
 * Runs handlers as Hono's compose does (a returned Response becomes `c.res`, an error thrown at a layer
 * is answered by `onError` there), inside a handler Hono already dispatched: the route's params stay
 * those of its match.
 */
const chain = (handlers: readonly Handler[], onError: (err: Error, c: Context) => Response | Promise<Response>): Handler =>
  function chained(c: Context) {
    const dispatch = async (i: number): Promise<void> => {
      const handler = handlers[i]
      if (!handler) return
      let res: unknown
      let isError = false
      try {
        res = await handler(c, () => dispatch(i + 1))
      } catch (err) {
        if (!(err instanceof Error)) throw err
        c.error = err
        res = await onError(err, c)
        isError = true
      }
      if (res instanceof Response && (!c.finalized || isError)) c.res = res
    }
    return dispatch(0).then(() => c.res)
  }

/** Turns a file-system path like `/files/{rest}` into Hono's pattern, honouring catch-alls. */
export const honoPath = (entry: Pick<RouteEntry, 'path' | 'catchAll'>): string =>
  entry.path.replace(/\{([^}]+)\}/g, (_, name: string) => (entry.catchAll.includes(name) ? `:${name}{.+}` : `:${name}`))

/**
 * The function generated router code calls per route: completes a route file's config with its method,
 * path, default tag, documented error responses and middleware.
 *
 * A route with no inputs to validate and no middleware (the app's or its own) gets no middleware at all:
 * its handler, wrapped in the core, is the only one Hono matches, so Hono calls it directly instead of
 * composing a chain (in process, with the header-block change, the health check's cost above bare Hono's
 * fell from ~6 µs to ~2.4 µs a request). A route with no middleware of its own gets the same, with its
 * body parsing and validators run as one input step (`plan.input`) after auth, and response validation
 * (dev) around it, so dev runs the path production runs; the general chain it hands unusual requests to
 * is built once, at registration. A route with middleware of its own runs the core as its first
 * middleware, ahead of auth, body parsing, response validation, its own middleware and the validators.
 */
export const createBinder = (c: Config, plan: RoutePlan): Bind => {
  const shapes = new WeakMap<RouteEntry, { middleware: MiddlewareHandler[]; alone: boolean; body?: MiddlewareHandler; outer: MiddlewareHandler[]; plain: boolean }>()
  const shape = (entry: RouteEntry) => {
    let known = shapes.get(entry)
    if (!known) {
      const cfg = entry.def.config
      const extra: MiddlewareHandler[] = c.validateResponse ? [validateResponse(cfg.responses, c)] : []
      const own = cfg.middleware ? (Array.isArray(cfg.middleware) ? cfg.middleware : [cfg.middleware]) : []
      const auth = plan.auth(entry)
      const body = plan.body(entry)
      const rest = [...(auth ? [auth] : []), ...(body ? [body] : []), ...extra, ...own]
      const alone = rest.length === 0 && !hasInput(entry)
      // No middleware of its own: one input step can stand for the body layer and validators. Auth runs
      // before it, as before the body layer; response validation (a check after the handler that skips
      // envelopes) around it.
      const plain = own.length === 0
      known = { middleware: alone ? [] : [plan.core, ...rest], alone, body, outer: [...(auth ? [auth] : []), ...extra], plain }
      shapes.set(entry, known)
    }
    return known
  }
  /** zod-openapi's validators for a route, as it would register them: built on a private app, never served. */
  let shadow: OpenAPIHono | undefined
  const validatorsOf = (route: object): Handler[] => {
    shadow ??= new OpenAPIHono({ defaultHook: plan.hook as never })
    const from = shadow.routes.length
    shadow.openapi({ ...route, path: '/', middleware: [], hide: true } as never, (() => undefined) as never)
    return shadow.routes.slice(from, -1).map((r) => r.handler)
  }
  const bind = ((entry: RouteEntry) => {
    const cfg = entry.def.config
    const route = {
      ...cfg,
      method: entry.method,
      // Catch-alls: Hono needs `:rest{.+}`; the lazy `{(.+?)}` replace in zod-openapi turns `{rest{.+}}` into it.
      path: entry.catchAll.length ? entry.path.replace(/\{([^}]+)\}/g, (m, n: string) => (entry.catchAll.includes(n) ? `{${n}{.+}}` : m)) : entry.path,
      tags: cfg.tags ?? [entry.tag],
      responses: { ...errorResponses(c, hasInput(entry)), ...cfg.responses },
      middleware: shape(entry).middleware,
      ...(entry.catchAll.length ? { hide: true } : {}),
    }
    return route
  }) as Bind
  bind.register = (app, entry) => {
    const route = bind(entry)
    const { alone, body, outer, plain } = shape(entry)
    const handler = entry.def.handler as Handler
    // The pattern Hono will match the route by once the service is mounted: the metrics label.
    const pattern = entry.mount === 'service' ? mergePath(c.prefix, honoPath(entry)) : honoPath(entry)
    const input = !alone && plain ? plan.input?.(entry) : undefined
    if (!input) {
      app.openapi(route as never, (alone ? plan.wrap(handler, pattern) : handler) as never)
      return
    }
    // Documented as app.openapi() documents it; routed as one handler (core, input step, route handler).
    const { middleware: _m, hide, ...doc } = route as typeof route & { middleware?: unknown; hide?: boolean }
    if (!hide) app.openAPIRegistry.registerPath(doc as never)
    const general = chain([...(body ? [body] : []), ...validatorsOf(doc), handler], plan.onError)
    const step = input(handler, general)
    app.on([entry.method], [honoPath(entry)], plan.wrap(outer.length ? chain([...outer, step], plan.onError) : step, pattern))
  }
  return bind
}

/** Whether zod-openapi may add validators for the route (any request part declared). */
const hasInput = (entry: RouteEntry) => Boolean(entry.def.config.request && Object.keys(entry.def.config.request).length)

/** Documents catch-all routes under their clean OpenAPI path (`/files/{rest}`), which Hono cannot route. */
export const documentCatchAlls = (app: OpenAPIHono, entries: readonly RouteEntry[], bind: Bind): void => {
  for (const e of entries) {
    if (!e.catchAll.length) continue
    const { middleware: _m, hide: _h, ...route } = bind(e) as ReturnType<Bind> & { middleware?: unknown; hide?: boolean }
    app.openAPIRegistry.registerPath({ ...route, path: e.path } as never)
  }
}
