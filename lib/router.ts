import type { MiddlewareHandler } from 'hono'
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

export type Bind = <E extends RouteEntry>(entry: E) => E['def']['config'] & { method: E['method']; path: E['path'] }

/** Turns a file-system path like `/files/{rest}` into Hono's pattern, honouring catch-alls. */
export const honoPath = (entry: Pick<RouteEntry, 'path' | 'catchAll'>): string =>
  entry.path.replace(/\{([^}]+)\}/g, (_, name: string) => (entry.catchAll.includes(name) ? `:${name}{.+}` : `:${name}`))

/**
 * The function generated router code calls per route: completes a route file's config with its method,
 * path, default tag, documented error responses and per-route middleware.
 */
export const createBinder = (c: Config): Bind => {
  return ((entry: RouteEntry) => {
    const cfg = entry.def.config
    const extra: MiddlewareHandler[] = c.validateResponse ? [validateResponse(cfg.responses, c)] : []
    const hasInput = Boolean(cfg.request && Object.keys(cfg.request).length)
    const own = cfg.middleware ? (Array.isArray(cfg.middleware) ? cfg.middleware : [cfg.middleware]) : []
    const route = {
      ...cfg,
      method: entry.method,
      // Catch-alls: Hono needs `:rest{.+}`; the lazy `{(.+?)}` replace in zod-openapi turns `{rest{.+}}` into it.
      path: entry.catchAll.length ? entry.path.replace(/\{([^}]+)\}/g, (m, n: string) => (entry.catchAll.includes(n) ? `{${n}{.+}}` : m)) : entry.path,
      tags: cfg.tags ?? [entry.tag],
      responses: { ...errorResponses(c, hasInput), ...cfg.responses },
      middleware: [...extra, ...own],
      ...(entry.catchAll.length ? { hide: true } : {}),
    }
    return route
  }) as Bind
}

/** Documents catch-all routes under their clean OpenAPI path (`/files/{rest}`), which Hono cannot route. */
export const documentCatchAlls = (app: OpenAPIHono, entries: readonly RouteEntry[], bind: Bind): void => {
  for (const e of entries) {
    if (!e.catchAll.length) continue
    const { middleware: _m, hide: _h, ...route } = bind(e) as ReturnType<Bind> & { middleware?: unknown; hide?: boolean }
    app.openAPIRegistry.registerPath({ ...route, path: e.path } as never)
  }
}
