import type { RouteConfig, RouteHandler } from '@hono/zod-openapi'

/** HTTP methods a route file may export, each as the export's name. */
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
export type Method = (typeof METHODS)[number]

/** Non-method exports a route file may have. `meta` sets per-file options. */
export const ALLOWED_EXPORTS = ['meta'] as const

/** A route config as @hono/zod-openapi takes it, minus method and path (those come from the file). */
export type FlyerRouteConfig = Omit<RouteConfig, 'method' | 'path'> & {
  /** `false` leaves this route open when `flyer_auth_enable=1` (health checks are open anyway). */
  auth?: boolean
}

/** Per-file options: `export const meta = { tag: 'hosts' }`. */
export interface RouteFileMeta {
  /** The OpenAPI tag of every route in the file; defaults to the folder's name. */
  tag?: string
}

/** What a method export of a route file holds. */
export interface RouteDefinition<R extends FlyerRouteConfig = FlyerRouteConfig> {
  readonly kind: 'flyer.route'
  readonly config: R
  readonly handler: RouteHandler<R & { method: 'get'; path: string }>
}

/**
 * Defines one route of a route file. The file's path gives the URL, the export's name the method.
 * @example
 * // routes/flyer/v1/demo/[name].ts  →  GET /flyer/v1/demo/{name}
 * export const GET = defineRoute(
 *   {
 *     summary: 'Greet someone',
 *     request: { params: z.object({ name: z.string() }) },
 *     responses: { 200: { description: 'A greeting', content: { 'application/json': { schema: Reply } } } },
 *   },
 *   (c) => c.json({ code: 200, msg: `Hello ${c.req.valid('param').name}!` }, 200),
 * )
 */
export const defineRoute = <const R extends FlyerRouteConfig>(
  config: R,
  handler: RouteHandler<R & { method: 'get'; path: string }>,
): RouteDefinition<R> => ({ kind: 'flyer.route', config, handler })

export const isRouteDefinition = (value: unknown): value is RouteDefinition =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'flyer.route'

/** One row of the generated router table. */
export interface RouteEntry<M extends Lowercase<Method> = Lowercase<Method>, P extends string = string> {
  /** `service`: mounted under `${flyer_base_url}/${flyer_version}`; `root`: at its literal path. */
  readonly mount: 'service' | 'root'
  readonly method: M
  /** OpenAPI path relative to the mount, e.g. `/hosts/{ip}`; a catch-all is `/files/{rest}`. */
  readonly path: P
  /** Names of catch-all parameters (from `[...rest]`). */
  readonly catchAll: readonly string[]
  readonly file: string
  readonly tag: string
  readonly def: { readonly kind: 'flyer.route'; readonly config: FlyerRouteConfig; readonly handler: unknown }
}
