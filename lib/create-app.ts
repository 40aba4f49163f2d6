import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context, Handler, MiddlewareHandler } from 'hono'
import { METHOD_NAME_ALL } from 'hono/router'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import { bodyLimit } from 'hono/body-limit'
import type { Logger } from 'pino'
import { accessLogStage, type AccessLogSink } from '#middleware/access-log.ts'
import { basicAuth } from '#middleware/auth.ts'
import { core, coreHandler } from '#middleware/core.ts'
import { notFound, onError, validationHook } from '#middleware/error-envelope.ts'
import { fastInput, type InputHook } from '#middleware/input.ts'
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
import { plainLength } from './raw-body.ts'
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

/** Each app's `terminal()`: what `flyerRoute()` hands out for routes added by hand. */
const terminals = new WeakMap<object, (open: boolean, handler: Handler, route?: string) => [Handler, ...Handler[]]>()

/**
 * The handlers to register for a route added to the app by hand (outside `routes/`): Flyer's core
 * (request id, metrics, timing headers, access log, `flyer_timeout`) around it, and basic auth in front
 * when it is on, as file routes get. Hono runs no app-wide middleware: each route runs the core itself.
 * @example
 * const app = buildApp()
 * app.get('/ops/ping', ...flyerRoute(app, (c) => c.json({ code: 200, msg: 'pong' })))
 */
export const flyerRoute = (app: object, handler: Handler, { open = false }: { open?: boolean } = {}): [Handler, ...Handler[]] => {
  const terminal = terminals.get(app)
  if (!terminal) throw new TypeError('flyerRoute: not an app made by createApp()/buildApp()')
  return terminal(open, handler)
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
  // Request id, metrics, timing, access log and timeout, in the order separate layers would run; the
  // timeout innermost, so the access line records its envelope. Not an `app.use()` layer: every request
  // ends in exactly one terminal handler (a route, the docs, static files, 404/405), and each runs the
  // core itself — as its first middleware, or wrapped around it when it runs alone, which lets Hono call
  // it without composing a chain (see createBinder).
  const coreOptions = {
    stages: [
      requestIdStage(),
      m && httpMetricsStage({ store: m.http }),
      timingHeaders ? timingStage() : undefined,
      logSink && accessLogStage({ sink: logSink }),
    ],
    guard: timeoutGuard({ ms: c.timeoutSec * 1000 }),
    onError: errorHandler,
  }
  const coreLayer = core(coreOptions)
  const wrap = coreHandler(coreOptions)

  const isOpen = openPathMatcher(c, router.entries)
  const auth = c.auth.enabled ? basicAuth({ user: c.auth.user, pass: c.auth.pass, isOpen }) : undefined
  if (auth) app.openAPIRegistry.registerComponent('securitySchemes', 'basicAuth', { type: 'http', scheme: 'basic' })

  const tooLarge = (ctx: Context) =>
    errorResponse(ctx, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, `Request body too large (limit ${c.bodyLimit} bytes)`, { status: 413, httpErrors })
  const limitStream = bodyLimit({ maxSize: c.bodyLimit, onError: tooLarge })
  // Hono's bodyLimit reads c.req.raw.body first, which makes @hono/node-server build a whole Request
  // (15-20% of a request's CPU in the profile); the method and Content-Length answer most requests.
  // On the routes of the methods that carry a body only. The limit and the JSON parsing share one layer
  // (one dispatch and promise fewer per request).
  const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete'])
  const readsBody = (e: RouteEntry) => BODY_METHODS.has(e.method)
  const parseJson = jsonBody()
  const limitAndParseBody: MiddlewareHandler = function limitAndParseBody(ctx, next) {
    const size = plainLength(ctx.req.header('content-length'), ctx.req.header('transfer-encoding'))
    if (size !== undefined) return size > c.bodyLimit ? Promise.resolve(tooLarge(ctx)) : parseJson(ctx, next)
    return limitStream(ctx, async () => {
      await parseJson(ctx, next)
    })
  }
  app.onError(errorHandler)

  /**
   * The handlers to register for a terminal path: the core wrapped around it (told the path, when given,
   * for the metrics label), with auth in front when it guards the path.
   */
  const terminal = (open: boolean, handler: Handler, route?: string): [Handler, ...Handler[]] => (auth && !open ? [coreLayer, auth, handler] : [wrap(handler, route)])
  /** A built-in GET route: the path Hono matches is its pattern. */
  const builtIn = (path: string, open: boolean, handler: Handler) => app.get(path, ...terminal(open, handler, path))

  terminals.set(app, terminal)
  /** A route file's path (or Hono pattern) as served: under the service root or at the root. */
  const served = (e: RouteEntry, path: string = e.path) => (e.mount === 'service' ? c.prefix : '') + path

  const inputOptions = { hook: defaultHook as InputHook, bodyLimit: c.bodyLimit, tooLarge }
  const bind = createBinder(c, {
    core: coreLayer,
    wrap,
    auth: (e) => (auth && !(e.def.config.auth === false || isOpen(served(e))) ? auth : undefined),
    body: (e) => (readsBody(e) ? limitAndParseBody : undefined),
    hook: defaultHook,
    onError: errorHandler,
    input: (e) => fastInput(readsBody(e), e.def.config.request as never, inputOptions),
  })
  const service = new OpenAPIHono({ defaultHook })
  router.registerService(service, bind)
  documentCatchAlls(service, router.entries.filter((e) => e.mount === 'service'), bind)
  app.route(c.prefix, service)
  router.registerRoot(app, bind)
  documentCatchAlls(app, router.entries.filter((e) => e.mount === 'root'), bind)
  builtIn('/health_check', true, (ctx) => ctx.json(HEALTH, 200))
  if (m) {
    // Behind basic auth when it is on.
    builtIn('/metrics', false, async (ctx) => {
      try {
        return ctx.body(await m.scrape(), 200, { 'Content-Type': m.contentType })
      } catch (err) {
        log.error({ err, logId: ctx.get('requestId') }, 'metrics scrape failed')
        return errorResponse(ctx, ErrorCode.INNER_SELF_ERROR, `Metrics unavailable: ${(err as Error).message}`, { status: 503, httpErrors })
      }
    })
  }

  let doc: string | undefined
  builtIn(`${c.prefix}/openapi.json`, false, (ctx) => {
    doc ??= JSON.stringify(openApiDocument(app, c))
    return ctx.body(doc, 200, { 'Content-Type': 'application/json' })
  })
  const swagger = swaggerHtml(c)
  const redoc = redocHtml(c)
  builtIn(`${c.prefix}/docs`, false, (ctx) => ctx.html(swagger))
  builtIn(`${c.prefix}/redoc`, false, (ctx) => ctx.html(redoc))

  const files = staticFiles(staticRoot, { baseUrl: c.baseUrl })
  const staticPrefix = `${c.baseUrl}/static/`
  builtIn(`${staticPrefix}*`, false, async (ctx) => (await files(ctx, ctx.req.path.slice(staticPrefix.length))) ?? notFoundOr405(ctx))

  // No route matched: a known path with another method is 405 with Allow, anything else 404. Decided
  // here rather than by catch-all `app.all()` routes, which Hono would match beside every real route.
  const known = new SmartRouter<{ allow: string; route: string }>({ routers: [new RegExpRouter(), new TrieRouter()] })
  const allowed = new Map<string, { methods: Set<string>; route: string }>()
  for (const e of router.entries) {
    const pattern = served(e, honoPath(e))
    const entry = allowed.get(pattern) ?? { methods: new Set<string>(), route: served(e) }
    entry.methods.add(e.method.toUpperCase())
    if (e.method === 'get') entry.methods.add('HEAD')
    allowed.set(pattern, entry)
  }
  for (const [pattern, { methods, route }] of allowed) known.add(METHOD_NAME_ALL, pattern, { allow: [...methods].join(', '), route })
  const answer404 = notFound({ httpErrors })
  function notFoundOr405(ctx: Context) {
    const found = known.match(METHOD_NAME_ALL, ctx.req.path)[0][0]?.[0]
    if (found === undefined) return answer404(ctx)
    const { allow, route } = found
    // The metrics label: the route the request was headed for.
    ctx.set('route', route)
    return errorResponse(ctx, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, `Method ${ctx.req.method} not allowed; use ${allow}`, {
      status: 405,
      headers: { Allow: allow },
      httpErrors,
    })
  }
  app.notFound(
    wrap(
      auth
        ? async (ctx: Context) => {
            // Unknown paths are guarded too: without credentials, nothing tells which paths exist.
            const denied = await auth(ctx, async () => {})
            return denied instanceof Response ? denied : notFoundOr405(ctx)
          }
        : notFoundOr405,
    ),
  )

  return app
}

