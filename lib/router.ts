import type { Handler, MiddlewareHandler } from 'hono'
import type { OpenAPIHono } from '@hono/zod-openapi'
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

/** A route file's config completed for `app.openapi()`; `bind.handler(e)` is the handler to register with it. */
export type Bind = (<E extends RouteEntry>(entry: E) => E['def']['config'] & { method: E['method']; path: E['path'] }) & {
  handler: (entry: RouteEntry) => unknown
}

/** How the app factory puts its own middleware around each route. */
export interface RoutePlan {
  /** The core layer (request id, metrics, timing, access log, timeout): outermost on every route. */
  core: MiddlewareHandler
  /** The app's layers a route needs after the core (auth, body limit + JSON), outermost first. */
  layers: (entry: RouteEntry) => MiddlewareHandler[]
  /** The core as a wrapper around a handler that runs alone (`coreHandler` in middleware/core.ts). */
  wrap: <H extends Handler<any, any, any>>(handler: H) => H
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
 * fell from ~6 µs to ~2.4 µs a request). Every other route runs the core as its first middleware, ahead
 * of auth, body parsing, validators and its own.
 */
export const createBinder = (c: Config, plan: RoutePlan): Bind => {
  const shapes = new WeakMap<RouteEntry, { middleware: MiddlewareHandler[]; alone: boolean }>()
  const shape = (entry: RouteEntry) => {
    let known = shapes.get(entry)
    if (!known) {
      const cfg = entry.def.config
      const extra: MiddlewareHandler[] = c.validateResponse ? [validateResponse(cfg.responses, c)] : []
      const own = cfg.middleware ? (Array.isArray(cfg.middleware) ? cfg.middleware : [cfg.middleware]) : []
      const rest = [...plan.layers(entry), ...extra, ...own]
      const alone = rest.length === 0 && !hasInput(entry)
      known = { middleware: alone ? [] : [plan.core, ...rest], alone }
      shapes.set(entry, known)
    }
    return known
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
  bind.handler = (entry) => (shape(entry).alone ? plan.wrap(entry.def.handler as Handler) : entry.def.handler)
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
