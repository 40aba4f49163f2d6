import { loadConfig } from '../lib/config.ts'
import type { ScannedRoute } from './generate-router.ts'

/** The route table for review and runbooks: method, URL pattern, file, auth, summary. */
export const printRoutes = async (routes: ScannedRoute[], env: Record<string, string | undefined> = process.env): Promise<string> => {
  const c = loadConfig(env)
  const open = new Set(['/health_check', '/ready'])
  const rows = routes.map((r) => [
    r.method.toUpperCase(),
    (r.mount === 'service' ? c.prefix : '') + (r.path === '/' && r.mount === 'service' ? '' : r.path),
    r.file,
    !c.auth.enabled ? 'off' : r.auth && !(r.mount === 'service' && open.has(r.path)) ? 'basic' : 'open',
    r.summary,
  ])
  const head = ['METHOD', 'URL', 'FILE', 'AUTH', 'SUMMARY']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  return [head, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')
}
