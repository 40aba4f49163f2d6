import { readdirSync, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Metafile } from 'esbuild'
import { buildServer } from '../../../scripts/bundle.ts'

const ROOT = join('.tmp', 'runtime')

const running = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Bundles left by test processes that are gone (a worker killed before its exit hook ran). */
const removeStale = () => {
  let names: string[] = []
  try {
    names = readdirSync(ROOT)
  } catch {
    return
  }
  for (const n of names) {
    const pid = Number(/-(\d+)$/.exec(n)?.[1])
    if (pid && !running(pid)) rmSync(join(ROOT, n), { recursive: true, force: true })
  }
}

/**
 * Bundles an entry exactly as `npm run build` does (`scripts/bundle.ts`) into `.tmp/`, inside
 * the project so the bundle resolves node_modules. Each test file builds its own copy: files run in parallel.
 */
export const buildEntry = async (entry: string, name: string): Promise<{ file: string; dir: string; metafile: Metafile }> => {
  removeStale()
  const dir = join(ROOT, `${name}-${process.pid}`)
  await mkdir(dir, { recursive: true })
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  const result = await buildServer(entry, dir, { metafile: true })
  // Asked for above, so esbuild wrote it.
  return { file: join(dir, 'server.mjs'), dir, metafile: result.metafile! }
}
