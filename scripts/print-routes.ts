import { loadConfig } from '../lib/config.ts'
import type { ScannedRoute } from './generate-router.ts'

/** Service-root paths the app keeps open under Basic auth whatever the route says (see lib/create-app.ts). */
const ALWAYS_OPEN = new Set(['/health_check', '/ready'])

/**
 * The route table for review and runbooks: method, URL pattern (with this environment's
 * flyer_base_url/flyer_version), file, auth (`basic` or `open` when flyer_auth_enable=1), summary.
 * @example
 * console.log(await printRoutes(await scanRoutes('routes')))
 */
export const printRoutes = async (routes: ScannedRoute[], env: Record<string, string | undefined> = process.env): Promise<string> => {
  const c = loadConfig(env)
  const rows = routes.map((r) => [
    r.method.toUpperCase(),
    r.mount === 'service' ? c.prefix + (r.path === '/' ? '' : r.path) : r.path,
    r.file,
    r.auth && !(r.mount === 'service' && ALWAYS_OPEN.has(r.path)) ? 'basic' : 'open',
    r.summary || '-',
  ])
  const head = ['METHOD', 'URL', 'FILE', 'AUTH', 'SUMMARY']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const table = [head, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
  const note = c.auth.enabled
    ? 'Basic auth is on (flyer_auth_enable=1): "basic" routes need credentials; /metrics too.'
    : 'Basic auth is off (flyer_auth_enable=0): every route is open; AUTH shows what applies when it is on.'
  return [...table, '', `${routes.length} routes. ${note}`].join('\n')
}
