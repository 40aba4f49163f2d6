import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { METHODS, type Method } from '../lib/route.ts'
import { renderRouter, scanRoutes } from './generate-router.ts'
import { RouteFileError, SERVICE_ROOT, fileToRoute, isRouteFile } from './route-paths.ts'
import { renderRouteFile, renderTestFile } from './templates/route-file.ts'

export class ScaffoldError extends Error {
  override name = 'ScaffoldError'
}

export interface ScaffoldOptions {
  /** The route as a path under routes/: `flyer/v1/ops/restart`, `flyer/v1/hosts/[ip]`, `routes/…/x.ts`. */
  route: string
  methods: string[]
  summary?: string
  /** The project folder; routes/, tests/routes/ and tests/helpers/ are found under it. */
  cwd?: string
  routesDir?: string
  testsDir?: string
}

export interface ScaffoldResult {
  routeFile: string
  testFile: string
  /** `POST /flyer/v1/ops/restart` per method. */
  operations: string[]
  routes: number
}

const humanize = (seg: string) => {
  const words = seg.replace(/[-_.~]+/g, ' ').trim()
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Root'
}

/** `routes/flyer/v1/ops/restart.ts`, `/flyer/v1/ops/restart` → `flyer/v1/ops/restart.ts`. */
export const normaliseRouteName = (name: string): string => {
  let rel = name.trim().replace(/\\/g, '/').replace(/^\.?\/+/, '').replace(/\/+$/, '')
  if (rel.startsWith('routes/')) rel = rel.slice('routes/'.length)
  if (!rel || rel === '.ts') throw new ScaffoldError('give the route as a path under routes/, e.g. flyer/v1/ops/restart')
  if (!rel.endsWith('.ts')) rel += '.ts'
  if (/\.(test|spec)\.ts$/.test(rel)) throw new ScaffoldError(`${name}: a test file name is not a route; drop .test/.spec`)
  if (rel.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new ScaffoldError(`${name}: empty, "." or ".." segments cannot be a URL`)
  if (!isRouteFile(rel)) throw new ScaffoldError(`${name}: files and folders starting with _ or . are not routes (they hold shared helpers); pick a name without the prefix`)
  return rel
}

const parseMethods = (methods: string[]): Method[] => {
  const list = methods.flatMap((m) => m.split(',')).map((m) => m.trim().toUpperCase()).filter(Boolean)
  if (!list.length) return ['GET']
  for (const m of list) if (!(METHODS as readonly string[]).includes(m)) throw new ScaffoldError(`--method ${m}: use one of ${METHODS.join(', ')}`)
  return METHODS.filter((m) => list.includes(m))
}

/**
 * Creates a route file from the template and its test, then regenerates the router table. Never
 * overwrites; if the new file makes the router table invalid it is removed again.
 * @example
 * await scaffold({ route: 'flyer/v1/ops/restart', methods: ['POST'] })
 */
export const scaffold = async ({ route, methods, summary, cwd = process.cwd(), routesDir = 'routes', testsDir = 'tests/routes' }: ScaffoldOptions): Promise<ScaffoldResult> => {
  const rel = normaliseRouteName(route)
  let mapped
  try {
    mapped = fileToRoute(rel)
  } catch (err) {
    if (err instanceof RouteFileError) throw new ScaffoldError(err.message)
    throw err
  }
  const list = parseMethods(methods)
  const routesRoot = resolve(cwd, routesDir)
  const routeFile = join(routesRoot, rel)
  const testFile = resolve(cwd, testsDir, rel.replace(/\.ts$/, '.test.ts'))
  const show = (f: string) => relative(cwd, f).split('\\').join('/')

  // The same URL from the other file form (x.ts vs x/index.ts) is a conflict the generator would reject.
  const twin = rel.endsWith('/index.ts') ? rel.replace(/\/index\.ts$/, '.ts') : rel.replace(/\.ts$/, '/index.ts')
  for (const f of [routeFile, join(routesRoot, twin)]) {
    if (existsSync(f)) {
      throw new ScaffoldError(`${show(f)} already exists and serves this URL; npm run new never overwrites. Add the method to it by hand: export const ${list[0]} = defineRoute({...}, handler)`)
    }
  }
  if (existsSync(testFile)) throw new ScaffoldError(`${show(testFile)} already exists; npm run new never overwrites. Move it away or pick another route name`)

  const service = mapped.mount === 'service'
  const url = service ? `/${SERVICE_ROOT.join('/')}${mapped.path === '/' ? '' : mapped.path}` : mapped.path
  const lastStatic = rel.replace(/(\/index)?\.ts$/, '').split('/').filter((s) => !s.startsWith('[')).at(-1) ?? ''
  const input = { methods: list, url, service, path: mapped.path, params: mapped.params, catchAll: mapped.catchAll, summary: summary?.trim() || humanize(lastStatic) }
  const helpers = relative(dirname(testFile), resolve(cwd, 'tests/helpers/app.ts')).split('\\').join('/')

  // mkdir answers the first folder it had to create: what to remove again on a rollback.
  const madeDirs = [await mkdir(dirname(routeFile), { recursive: true }), await mkdir(dirname(testFile), { recursive: true })]
  const written: string[] = []
  const rollback = async () => {
    for (const f of written) await rm(f, { force: true })
    for (const d of madeDirs) if (d) await rm(d, { recursive: true, force: true })
  }
  try {
    // 'wx': fail rather than overwrite a file that appeared since the check above.
    await writeFile(routeFile, renderRouteFile(input), { flag: 'wx' })
    written.push(routeFile)
    await writeFile(testFile, renderTestFile(input, helpers.startsWith('.') ? helpers : `./${helpers}`), { flag: 'wx' })
    written.push(testFile)
  } catch (err) {
    await rollback()
    throw err
  }

  let routes
  try {
    routes = await scanRoutes(routesRoot, cwd)
  } catch (err) {
    const message = (err as Error).message
    if (message.includes(show(routeFile))) {
      await rollback()
      throw new ScaffoldError(`not created: the new route clashes with the route table.\n${message}`)
    }
    throw new ScaffoldError(`created ${show(routeFile)} and ${show(testFile)}, but the router table was not regenerated because of other files:\n${message}`)
  }
  await writeFile(join(routesRoot, '_router.gen.ts'), renderRouter(routes))
  return { routeFile: show(routeFile), testFile: show(testFile), operations: list.map((m) => `${m} ${url}`), routes: routes.length }
}
