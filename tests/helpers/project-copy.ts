import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const SKIP = new Set(['node_modules', '.git', 'dist', 'logs', '.tmp', 'coverage'])

/**
 * A throwaway copy of the project (sources only, node_modules linked) for tests that add, rename or
 * delete route files: the real routes/ is never touched.
 */
export const projectCopy = (): { dir: string; remove: () => void } => {
  const root = resolve('.')
  const dir = mkdtempSync(join(tmpdir(), 'flyer-copy-'))
  cpSync(root, dir, { recursive: true, filter: (src) => !SKIP.has(src.slice(root.length + 1).split('/')[0]!) })
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
