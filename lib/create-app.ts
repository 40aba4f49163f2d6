import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Logger } from 'pino'
import { accessLogStage, type AccessLogSink } from '#middleware/access-log.ts'
import { basicAuth } from '#middleware/auth.ts'
import { core } from '#middleware/core.ts'
import { notFound, onError, validationHook } from '#middleware/error-envelope.ts'
import { jsonBody } from '#middleware/json-body.ts'
import { httpMetricsStage } from '#middleware/metrics.ts'
import { requestIdStage } from '#middleware/request-id.ts'
import { timeoutGuard } from '#middleware/timeout.ts'
import { timingStage } from '#middleware/timing.ts'
import { config as processConfig, type Config } from './config.ts'
import { openApiDocument, redocHtml, swaggerHtml } from './docs.ts'
import { ErrorCode, errorResponse } from './errors.ts'
import { accessLogger, logger as processLogger } from './logger.ts'
import { processMetrics, type Metrics } from './metrics.ts'
import { HEALTH } from './schemas.ts'
import type { RouteEntry } from './route.ts'
import { createBinder, documentCatchAlls, honoPath, type Bind } from './router.ts'
import { staticFiles } from './static-files.ts'

/** What the generated router table (`routes/_router.gen.ts`) hands to the app factory. */
export interface RouterTable {
  entries: readonly RouteEntry[]
  registerService: (app: OpenAPIHono, bind: Bind) => unknown
  registerRoot: (app: OpenAPIHono, bind: Bind) => unknown
}

export interface CreateAppOptions {
  router: RouterTable
  config?: Config
  log?: Pick<Logger, 'error' | 'warn' | 'info'>
  /** Access-log sink; `false` turns it off whatever `flyer_access_log` says. */
  accessLog?: AccessLogSink | false
  /** The folder served at `${flyer_base_url}/static/`. */
  staticRoot?: string
  /** `false` when the server sets timing headers itself at the socket layer (Node fast path). */
  timingHeaders?: boolean
  /** Where request metrics go and `/metrics` reads (when `flyer_metrics=1`); defaults to `processMetrics()`. */
  metrics?: Metrics
}

/** Which paths stay open when basic auth is on: health checks, readiness and routes declaring `auth: false`. */
export const openPathMatcher = (c: Config, entries: readonly RouteEntry[]): ((path: string) => boolean) => {
  const exact = new Set(['/health_check', `${c.prefix}/health_check`, `${c.prefix}/ready`])
  const patterns = entries
    .filter((e) => e.def.config.auth === false)
    .map((e) => {
      const full = (e.mount === 'service' ? c.prefix : '') + e.path
      const source = full
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+')
      return new RegExp(`^${source}$`)
    })
  return (path) => exact.has(path) || patterns.some((re) => re.test(path))
}

/**
 * Builds the Flyer app from a router table: middleware, routes, 404/405, docs and static files.
 * @example
 * import * as router from './routes/_router.gen.ts'
 * const app = createApp({ router })
 */
export const createApp = ({ router, config: c = processConfig(), log = processLogger(), accessLog: sink, staticRoot = 'static', timingHeaders = true, metrics }: CreateAppOptions) => {
  const httpErrors = c.httpErrors
  const defaultHook = validationHook({ httpErrors }) as never
  const app = new OpenAPIHono({ defaultHook })

  const m = c.metrics ? (metrics ?? processMetrics()) : undefined
  const logSink = sink === false ? undefined : (sink ?? (c.accessLog.enabled ? accessLogger() : undefined))
  const errorHandler = onError({ httpErrors, log })
  // One middleware layer for the per-request bookkeeping, in the order separate layers would run; the
  // timeout innermost, so the access line records its envelope.
  app.use(
    core({
      stages: [
        requestIdStage(),
        m && httpMetricsStage({ store: m.http }),
        timingHeaders ? timingStage() : undefined,
        logSink && accessLogStage({ sink: logSink }),
      ],
      guard: timeoutGuard({ ms: c.timeoutSec * 1000 }),
      onError: errorHandler,
    }),
  )
  if (c.auth.enabled) {
    app.use(basicAuth({ user: c.auth.user, pass: c.auth.pass, isOpen: openPathMatcher(c, router.entries) }))
    app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', { type: 'http', scheme: 'basic' })
  }
  const tooLarge = (ctx: Context) =>
    errorResponse(ctx, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, `Request body too large (limit ${c.bodyLimit} bytes)`, { status: 413, httpErrors })
  const limitStream = bodyLimit({ maxSize: c.bodyLimit, onError: tooLarge })
  // Hono's bodyLimit reads c.req.raw.body first, which makes @hono/node-server build a whole Request
  // (15-20% of a request's CPU in the profile); the method and Content-Length answer most requests.
  // Registered for the methods that carry a body only: GET and HEAD never enter this layer. The limit and
  // the JSON parsing share one layer (one dispatch and promise fewer per request).
  const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
  const parseJson = jsonBody()
  const limitAndParseBody: MiddlewareHandler = function limitAndParseBody(ctx, next) {
    const length = ctx.req.header('content-length')
    if (length !== undefined && /^\d+$/.test(length) && ctx.req.header('transfer-encoding') === undefined) return Number(length) > c.bodyLimit ? Promise.resolve(tooLarge(ctx)) : parseJson(ctx, next)
    return limitStream(ctx, async () => {
      await parseJson(ctx, next)
    })
  }
  app.on(BODY_METHODS, '*', limitAndParseBody)
  app.onError(errorHandler)
  app.notFound(notFound({ httpErrors }))

  const bind = createBinder(c)
  const service = new OpenAPIHono({ defaultHook })
  router.registerService(service, bind)
  documentCatchAlls(service, router.entries.filter((e) => e.mount === 'service'), bind)
  app.route(c.prefix, service)
  router.registerRoot(app, bind)
  documentCatchAlls(app, router.entries.filter((e) => e.mount === 'root'), bind)
  app.get('/health_check', (ctx) => ctx.json(HEALTH, 200))
  if (m) {
    // Behind basic auth when it is on: the auth middleware guards every path that is not open.
    app.get('/metrics', async (ctx) => {
      try {
        return ctx.body(await m.scrape(), 200, { 'Content-Type': m.contentType })
      } catch (err) {
        log.error({ err, logId: ctx.get('requestId') }, 'metrics scrape failed')
        return errorResponse(ctx, ErrorCode.INNER_SELF_ERROR, `Metrics unavailable: ${(err as Error).message}`, { status: 503, httpErrors })
      }
    })
  }

  // A known path with another method: 405 with Allow, after every real route had its chance.
  const allowed = new Map<string, Set<string>>()
  for (const e of router.entries) {
    const full = (e.mount === 'service' ? c.prefix : '') + honoPath(e)
    const set = allowed.get(full) ?? new Set<string>()
    set.add(e.method.toUpperCase())
    if (e.method === 'get') set.add('HEAD')
    allowed.set(full, set)
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].join(', ')
    app.all(path, (ctx) =>
      errorResponse(ctx, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, `Method ${ctx.req.method} not allowed; use ${allow}`, {
        status: 405,
        headers: { Allow: allow },
        httpErrors,
      }),
    )
  }

  let doc: string | undefined
  app.get(`${c.prefix}/openapi.json`, (ctx) => {
    doc ??= JSON.stringify(openApiDocument(app, c))
    return ctx.body(doc, 200, { 'Content-Type': 'application/json' })
  })
  const swagger = swaggerHtml(c)
  const redoc = redocHtml(c)
  app.get(`${c.prefix}/docs`, (ctx) => ctx.html(swagger))
  app.get(`${c.prefix}/redoc`, (ctx) => ctx.html(redoc))

  const files = staticFiles(staticRoot, { baseUrl: c.baseUrl })
  const staticPrefix = `${c.baseUrl}/static/`
  app.get(`${staticPrefix}*`, async (ctx) => (await files(ctx, ctx.req.path.slice(staticPrefix.length))) ?? ctx.notFound())

  return app
}

