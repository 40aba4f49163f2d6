import type { OpenAPIHono } from '@hono/zod-openapi'
import type { RouterTable } from '#lib/create-app.ts'
import type { RouteDefinition, RouteEntry } from '#lib/route.ts'
import type { Bind } from '#lib/router.ts'

/**
 * A router table built in memory from definitions, for tests that need routes the project does not have
 * (a handler that throws, a wrong response, an open route under auth).
 * @example
 * const router = tableOf([{ method: 'get', path: '/boom', def: defineRoute({...}, () => { throw new Error('x') }) }])
 */
export const tableOf = (
  routes: { method: RouteEntry['method']; path: string; def: RouteDefinition<any>; mount?: RouteEntry['mount']; catchAll?: string[] }[],
): RouterTable => {
  const entries: RouteEntry[] = routes.map((r) => ({
    mount: r.mount ?? 'service',
    method: r.method,
    path: r.path,
    catchAll: r.catchAll ?? [],
    file: `routes/test${r.path}.ts`,
    tag: 'test',
    def: r.def,
  }))
  const register = (mount: RouteEntry['mount']) => (app: OpenAPIHono, bind: Bind) => {
    for (const e of entries) if (e.mount === mount) bind.register(app, e)
    return app
  }
  return { entries, registerService: register('service'), registerRoot: register('root') }
}
