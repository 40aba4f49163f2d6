/**
 * Pure mapping from a route file's path (relative to `routes/`) to its URL. No I/O: the generator and
 * tests share it.
 */

export interface FileRoute {
  /** `service` for files under `flyer/v1/` (mounted at `${flyer_base_url}/${flyer_version}`), else `root`. */
  mount: 'service' | 'root'
  /** OpenAPI-style path relative to the mount: `/hosts/{ip}`, `/` for an index at the mount. */
  path: string
  /** Path parameter names in order. */
  params: string[]
  /** Which of `params` are catch-alls (`[...rest]`). */
  catchAll: string[]
  /** Default OpenAPI tag: the first folder (or file) under the mount. */
  tag: string
}

export class RouteFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`)
    this.name = 'RouteFileError'
  }
}

/** The folder that is the service root; mounted at `${flyer_base_url}/${flyer_version}`. */
export const SERVICE_ROOT = ['flyer', 'v1'] as const

const STATIC_SEGMENT = /^[A-Za-z0-9._~-]+$/
const PARAM = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/
const CATCH_ALL = /^\[\.\.\.([A-Za-z_][A-Za-z0-9_]*)\]$/

/** Is this file a route file at all? `_`-prefixed files and folders, tests and non-TS files are not. */
export const isRouteFile = (rel: string): boolean => {
  const parts = rel.split('/')
  if (parts.some((p) => p.startsWith('_') || p.startsWith('.'))) return false
  const name = parts.at(-1)!
  return name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts') && !name.endsWith('.spec.ts')
}

/**
 * Maps a route file to its URL.
 * @example
 * fileToRoute('flyer/v1/hosts/[ip].ts') // { mount: 'service', path: '/hosts/{ip}', params: ['ip'], … }
 * fileToRoute('flyer/v1/demo/index.ts') // path '/demo'
 */
export const fileToRoute = (rel: string): FileRoute => {
  const parts = rel.replace(/\.ts$/, '').split('/')
  if (parts.at(-1) === 'index') parts.pop()
  const service = SERVICE_ROOT.every((s, i) => parts[i] === s)
  const segments = service ? parts.slice(SERVICE_ROOT.length) : parts
  const params: string[] = []
  const catchAll: string[] = []
  const out = segments.map((seg, i) => {
    const all = CATCH_ALL.exec(seg)
    if (all) {
      if (i !== segments.length - 1) throw new RouteFileError(rel, `catch-all "${seg}" must be the last segment; move what follows it into the handler`)
      params.push(all[1]!)
      catchAll.push(all[1]!)
      return `{${all[1]}}`
    }
    const param = PARAM.exec(seg)
    if (param) {
      if (params.includes(param[1]!)) throw new RouteFileError(rel, `path parameter "${param[1]}" appears twice; rename one of the [${param[1]}] segments`)
      params.push(param[1]!)
      return `{${param[1]}}`
    }
    if (!STATIC_SEGMENT.test(seg)) {
      throw new RouteFileError(
        rel,
        `"${seg}" cannot be a URL segment: use letters, digits and . _ ~ - (or [name] for a parameter, [...name] for a catch-all)`,
      )
    }
    return seg
  })
  const path = `/${out.join('/')}`
  const firstStatic = segments.find((s) => !s.startsWith('['))
  const tag = firstStatic ?? (service ? SERVICE_ROOT.join(' ') : 'root')
  return { mount: service ? 'service' : 'root', path, params, catchAll, tag }
}

const rank = (seg: string): [number, string] => (seg.startsWith('{') ? ([1, ''] as [number, string]) : [0, seg])

/** Orders routes so static segments come before parameters (`/hosts/search` before `/hosts/{ip}`), deterministically. */
export const compareRoutes = (
  a: { mount: string; path: string; method: string; catchAll: readonly string[] },
  b: { mount: string; path: string; method: string; catchAll: readonly string[] },
  methodOrder: readonly string[],
): number => {
  if (a.mount !== b.mount) return a.mount === 'service' ? -1 : 1
  const as = a.path.split('/').filter(Boolean)
  const bs = b.path.split('/').filter(Boolean)
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const [ar, an] = rank(as[i]!)
    const [br, bn] = rank(bs[i]!)
    if (ar !== br) return ar - br
    if (an !== bn) return an < bn ? -1 : 1
  }
  // A catch-all sorts after everything more specific that shares its prefix.
  const aAll = a.catchAll.length ? 1 : 0
  const bAll = b.catchAll.length ? 1 : 0
  if (aAll !== bAll) return aAll - bAll
  if (as.length !== bs.length) return as.length - bs.length
  return methodOrder.indexOf(a.method.toUpperCase()) - methodOrder.indexOf(b.method.toUpperCase())
}
