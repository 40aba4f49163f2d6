import type { OpenAPIHono, RouteConfig, RouteConfigToTypedResponse, RouteHandler } from '@hono/zod-openapi'
import type { Env, Handler, Schema, ToSchema } from 'hono/types'

/** `/hosts/{ip}` → `/hosts/:ip`, as @hono/zod-openapi does. */
type HonoPath<T extends string> = T extends `${infer Start}/{${infer Param}}${infer Rest}` ? `${Start}/:${Param}${HonoPath<Rest>}` : T

/** The request inputs (param, query, json, …) of a route config, as `app.openapi()` computes them. */
type InputOf<R extends RouteConfig> = RouteHandler<R> extends Handler<any, any, infer I, any> ? I : never

/**
 * The hono/client schema of one router-table entry: what `app.openapi(route, handler)` adds to the
 * app's type, computed on its own so the generated `AppType` is a flat intersection instead of a
 * 200-call method chain (which type-checks in quadratic time).
 */
export type EntrySchema<E> = E extends { method: infer M extends string; path: infer P extends string; def: { config: infer C } }
  ? C & { method: M; path: P } extends infer R extends RouteConfig
    ? ToSchema<M, HonoPath<P>, InputOf<R>, RouteConfigToTypedResponse<R>>
    : never
  : never

/** The app type `hc<AppType>()` reads, from the intersection of entry schemas. */
export type AppOf<S extends Schema> = OpenAPIHono<Env, S, '/'>
