import { readdir } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ALLOWED_EXPORTS, METHODS, isRouteDefinition, type RouteDefinition, type RouteFileMeta } from '../lib/route.ts'
import { RouteFileError, compareRoutes, fileToRoute, isRouteFile, type FileRoute } from './route-paths.ts'

export interface ScannedRoute extends FileRoute {
  method: Lowercase<(typeof METHODS)[number]>
  exportName: string
  /** Path relative to the project, e.g. `routes/flyer/v1/demo.ts`. */
  file: string
  /** Path relative to `routes/`. */
  rel: string
  summary: string
  auth: boolean
}

const walk = async (dir: string, base = dir): Promise<string[]> => {
  const out: string[] = []
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, ent.name)
    if (ent.isDirectory()) {
      if (!ent.name.startsWith('_') && !ent.name.startsWith('.') && ent.name !== 'node_modules') out.push(...(await walk(full, base)))
    } else if (ent.isFile()) out.push(relative(base, full).split('\\').join('/'))
  }
  return out
}

const paramsOf = (def: RouteDefinition): string[] | undefined => {
  const params = def.config.request?.params as { shape?: Record<string, unknown> } | undefined
  return params?.shape ? Object.keys(params.shape) : undefined
}

/**
 * Finds every route file under `routesDir`, imports it and checks it. Collects all problems, each naming
 * the file(s) and the fix, and throws them together.
 */
export const scanRoutes = async (routesDir: string, projectDir = resolve(routesDir, '..')): Promise<ScannedRoute[]> => {
  const problems: string[] = []
  const routes: ScannedRoute[] = []
  const files = (await walk(routesDir)).filter(isRouteFile).sort()
  for (const rel of files) {
    const file = relative(projectDir, join(routesDir, rel)).split('\\').join('/')
    let mapped: FileRoute
    try {
      mapped = fileToRoute(rel)
    } catch (err) {
      problems.push(err instanceof RouteFileError ? `${file}: ${err.message.slice(rel.length + 2)}` : String(err))
      continue
    }
    let mod: Record<string, unknown>
    try {
      mod = await import(pathToFileURL(join(routesDir, rel)).href)
    } catch (err) {
      problems.push(`${file}: cannot be imported: ${(err as Error).message}`)
      continue
    }
    const meta = (mod.meta ?? {}) as RouteFileMeta
    let methods = 0
    for (const [name, value] of Object.entries(mod)) {
      if ((METHODS as readonly string[]).includes(name)) {
        if (!isRouteDefinition(value)) {
          problems.push(`${file}: export ${name} is not a route; make it with defineRoute({...}, handler) from #lib/route.ts`)
          continue
        }
        methods++
        const declared = paramsOf(value)
        const missing = mapped.params.filter((p) => !declared?.includes(p))
        const extra = (declared ?? []).filter((p) => !mapped.params.includes(p))
        if (missing.length) {
          problems.push(
            `${file}: ${name} has path parameter(s) ${missing.map((p) => `{${p}}`).join(', ')} from the file name but its request.params schema does not declare them; add request: { params: z.object({ ${missing.map((p) => `${p}: z.string()`).join(', ')} }) }`,
          )
        }
        if (extra.length) {
          problems.push(
            `${file}: ${name} declares request.params ${extra.join(', ')} that the file path does not have; rename the file or folder to [${extra[0]}] or remove the param`,
          )
        }
        routes.push({
          ...mapped,
          tag: meta.tag ?? mapped.tag,
          method: name.toLowerCase() as ScannedRoute['method'],
          exportName: name,
          file,
          rel,
          summary: typeof value.config.summary === 'string' ? value.config.summary : '',
          auth: value.config.auth !== false,
        })
      } else if (!(ALLOWED_EXPORTS as readonly string[]).includes(name)) {
        problems.push(
          `${file}: export "${name}" is neither an HTTP method (${METHODS.join(', ')}) nor allowed (${ALLOWED_EXPORTS.join(', ')}); move shared code to a _file.ts next to it or into lib/`,
        )
      }
    }
    if (methods === 0) problems.push(`${file}: exports no route; export GET/POST/PUT/PATCH/DELETE made with defineRoute(), or rename it to _${rel.split('/').at(-1)} if it is a helper`)
  }
  const seen = new Map<string, ScannedRoute>()
  for (const r of routes) {
    const key = `${r.mount} ${r.method.toUpperCase()} ${r.path.replace(/\{[^}]+\}/g, '{}')}`
    const other = seen.get(key)
    if (other) {
      problems.push(
        `${other.file} and ${r.file} both claim ${r.method.toUpperCase()} ${r.path}${r.mount === 'service' ? ' (under the service root)' : ''}; delete or rename one of them (e.g. keep only the index.ts form)`,
      )
    } else seen.set(key, r)
  }
  if (problems.length) throw new AggregateError([], `Route table has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  return routes.sort((a, b) => compareRoutes(a, b, METHODS))
}

const HEADER = `// Generated by \`npm run routes\` from the files under routes/ — do not edit.
// Regenerate after adding, renaming or deleting a route file; \`npm run routes -- --check\` fails when stale.
`

/** Renders the router-table module. Deterministic: same routes, same bytes. */
export const renderRouter = (routes: ScannedRoute[], routesImportBase = './'): string => {
  const files = [...new Set(routes.map((r) => r.rel))].sort()
  const ids = new Map(files.map((f, i) => [f, `r${i}`]))
  const lines: string[] = [HEADER]
  lines.push(`import type { OpenAPIHono } from '@hono/zod-openapi'`)
  lines.push(`import type { AppOf, EntrySchema } from '#lib/app-type.ts'`)
  lines.push(`import type { RouteEntry } from '#lib/route.ts'`)
  lines.push(`import type { Bind } from '#lib/router.ts'`)
  for (const f of files) lines.push(`import * as ${ids.get(f)} from ${JSON.stringify(routesImportBase + f)}`)
  lines.push('')
  lines.push('/** Every route, sorted: static segments before parameters. */')
  lines.push('export const entries = [')
  for (const r of routes) {
    lines.push(
      `  { mount: ${JSON.stringify(r.mount)}, method: ${JSON.stringify(r.method)}, path: ${JSON.stringify(r.path)}, catchAll: ${JSON.stringify(r.catchAll)}, file: ${JSON.stringify(r.file)}, tag: ${JSON.stringify(r.tag)}, def: ${ids.get(r.rel)}.${r.exportName} },`,
    )
  }
  lines.push('] as const')
  // Registered in a loop, typed separately: a 200-call `.openapi()` chain type-checks in quadratic time.
  lines.push('')
  lines.push('const register = (mount: RouteEntry[\'mount\']) => (app: OpenAPIHono, bind: Bind) => {')
  lines.push('  for (const e of entries as readonly RouteEntry[]) if (e.mount === mount) bind.register(app, e)')
  lines.push('  return app')
  lines.push('}')
  lines.push("export const registerService = register('service')")
  lines.push("export const registerRoot = register('root')")
  const service = routes.map((r, i) => [r, i] as const).filter(([r]) => r.mount === 'service')
  lines.push('')
  lines.push('type E = typeof entries')
  lines.push('')
  lines.push('/** The service root\'s type, for `hc<AppType>(`${baseUrl}/flyer/v1`)` (hono/client). */')
  lines.push(
    service.length
      ? `export type AppType = AppOf<\n${service.map(([, i]) => `  EntrySchema<E[${i}]>`).join(' &\n')}\n>`
      : 'export type AppType = AppOf<{}>',
  )
  lines.push('')
  return lines.join('\n')
}
