import { createRequire } from 'node:module'
import { dirname, extname, join, resolve, sep } from 'node:path'
import type { Context } from 'hono'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
}

const require = createRequire(import.meta.url)

/** node:fs/promises on the first file served, not at start: loading it costs a Bun worker ~5 ms. */
const fs = () => process.getBuiltinModule('node:fs/promises')

/** Docs assets served from the installed packages, so the docs work with no internet access. */
const vendorFiles = (): Map<string, string> => {
  const swagger = dirname(require.resolve('swagger-ui-dist/package.json'))
  const redoc = dirname(require.resolve('redoc/package.json'))
  return new Map([
    ['vendor/swagger-ui/swagger-ui.css', join(swagger, 'swagger-ui.css')],
    ['vendor/swagger-ui/swagger-ui-bundle.js', join(swagger, 'swagger-ui-bundle.js')],
    ['vendor/swagger-ui/swagger-ui-standalone-preset.js', join(swagger, 'swagger-ui-standalone-preset.js')],
    ['vendor/redoc/redoc.standalone.js', join(redoc, 'bundles', 'redoc.standalone.js')],
  ])
}

/**
 * Serves `root` (the project's `static/`) plus the docs' vendor assets under one URL prefix.
 * A request resolving outside `root` — `..`, `%2e%2e`, absolute paths, symlinks pointing out — is a 404.
 */
export const staticFiles = (root: string, { baseUrl = '/flyer' }: { baseUrl?: string } = {}) => {
  // ReDoc's sidebar credit loads its logo from a CDN: point it at our own logo so nothing leaves the intranet.
  const rewrites: Record<string, [string, string]> = {
    'vendor/redoc/redoc.standalone.js': ['https://cdn.redoc.ly/redoc/logo-mini.svg', `${baseUrl}/static/logo.svg`],
  }
  const rootDir = resolve(root)
  let realRoot: Promise<string> | undefined
  let vendor: Map<string, string> | undefined
  const cache = new Map<string, { body: Uint8Array; type: string }>()

  const locate = async (rel: string): Promise<string | undefined> => {
    vendor ??= vendorFiles()
    const v = vendor.get(rel)
    if (v) return v
    if (rel.includes('\0') || rel.split('/').some((s) => s === '..' || s === '.')) return undefined
    const base = await (realRoot ??= fs().realpath(rootDir))
    const candidate = resolve(base, rel)
    if (!candidate.startsWith(base + sep)) return undefined
    try {
      const real = await fs().realpath(candidate)
      if (!real.startsWith(base + sep)) return undefined
      if (!(await fs().stat(real)).isFile()) return undefined
      return real
    } catch {
      return undefined
    }
  }

  /** Answers the file for `rel` (already decoded, relative to the prefix), or undefined for 404. */
  return async (c: Context, rel: string): Promise<Response | undefined> => {
    let hit = cache.get(rel)
    if (!hit) {
      const file = await locate(rel)
      if (!file) return undefined
      let body = new Uint8Array(await fs().readFile(file))
      const rewrite = rewrites[rel]
      if (rewrite) body = new TextEncoder().encode(new TextDecoder().decode(body).replaceAll(rewrite[0], rewrite[1]))
      hit = { body, type: TYPES[extname(file)] ?? 'application/octet-stream' }
      if (cache.size < 256) cache.set(rel, hit)
    }
    return c.body(hit.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': hit.type, 'Cache-Control': 'public, max-age=3600' })
  }
}
