import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { HttpMetrics } from '#lib/metrics.ts'
import { type Stage, stageMiddleware } from './core.ts'

export interface HttpMetricsOptions {
  /** Where the numbers go: `processMetrics().http`, or a test's own `createMetrics().http`. */
  store: HttpMetrics
  now?: () => number
}

/** Paths `app.use()` middleware is registered under: they are not routes. */
const MIDDLEWARE_PATHS = new Set(['*', '/*'])

/** The pattern Hono matched the request by (`/flyer/v1/hosts/:ip`), looked up per request; undefined when none did. */
const matchedPattern = (c: Context): string | undefined => {
  const routes = matchedRoutes(c)
  const path = routes[c.req.routeIndex]?.path
  if (path !== undefined && !MIDDLEWARE_PATHS.has(path)) return path
  // A middleware answered (401, 413): name the route the request was headed for, if any.
  return routes.find((r) => r.method !== 'ALL' && !MIDDLEWARE_PATHS.has(r.path))?.path ?? routes.find((r) => !MIDDLEWARE_PATHS.has(r.path))?.path
}

/**
 * The matched route's pattern in OpenAPI style (`/flyer/v1/demo/{name}`), never the raw path, so the
 * number of series stays bounded. `route` is the pattern when the core was told it at registration
 * (every route Flyer registers), which spares the lookup in Hono's match. A request no route matched
 * (404, or stopped by auth before routing mattered) is `unmatched`.
 */
const routeLabel = (c: Context, route: string | undefined, cache: Map<string, string>): string => {
  const named = c.get('route')
  if (named !== undefined) return named
  const path = route ?? matchedPattern(c)
  if (path === undefined) return 'unmatched'
  let label = cache.get(path)
  if (label === undefined) {
    label = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}')
    cache.set(path, label)
  }
  return label
}

/**
 * The metrics stage of `core()`: counts requests and their latency by method, route pattern, status and
 * envelope code, and tracks requests in flight. Per request: two clock reads and a few Map lookups. It
 * leaves even when the app threw, so the in-flight gauge always drops.
 */
export const httpMetricsStage = ({ store, now = () => performance.now() }: HttpMetricsOptions): Stage<number> => {
  const labels = new Map<string, string>()
  return {
    always: true,
    enter() {
      store.inFlight++
      return now()
    },
    leave(c, start, route) {
      store.inFlight--
      const status = c.res.status
      store.observe(c.req.method, routeLabel(c, route, labels), status, c.get('code') ?? (status < 400 ? 200 : status), (now() - start) / 1000)
    },
  }
}

/**
 * Request count, latency and in-flight numbers. `createApp` runs it as a stage of `core()`; this is the
 * same as a middleware of its own.
 * @example
 * app.use(httpMetrics({ store: processMetrics().http }))
 */
export const httpMetrics = (options: HttpMetricsOptions): MiddlewareHandler => stageMiddleware('httpMetrics', httpMetricsStage(options))

declare module 'hono' {
  interface ContextVariableMap {
    /** The route pattern (`/flyer/v1/demo`) a request no route matched was headed for: its metrics label (405). */
    route: string
  }
}
