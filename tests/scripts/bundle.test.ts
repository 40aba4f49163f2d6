import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { mkdir, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import { buildServer, PINO_FILE, PINO_ROLL_FILE, pinoRollOptions } from '../../scripts/bundle.ts'

// Inside the project, so the bundles resolve node_modules.
const dir = resolve('.tmp', `bundle-test-${process.pid}`)
afterAll(() => rm(dir, { recursive: true, force: true }))

/** Requires `module` in a fresh Node process, rolls one line into `logDir` and reports what it loaded. */
const rollWith = (module: string, logDir: string) => {
  // Made first, as openPrimaryLogs does: pino-roll links current.log before sonic-boom's own (async)
  // mkdir has run, and loses that race on a busy machine (ENOENT).
  mkdirSync(logDir, { recursive: true })
  const script = `
    const pinoRoll = require(${JSON.stringify(module)})
    pinoRoll({ file: ${JSON.stringify(join(logDir, 'flyer'))}, extension: '.log', frequency: 'daily', dateFormat: 'yyyy-MM-dd', mkdir: true, symlink: true, limit: { count: 2 } })
      .then((s) => { s.write('{"msg":"rolled"}\\n'); s.end(); s.on('close', () => console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('date-fns')).length))) })`
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim())
}

describe("the build's own pino-roll (scripts/bundle.ts)", () => {
  it('rolls the same files as the package, without loading date-fns from node_modules', async () => {
    await mkdir(dir, { recursive: true })
    await build(pinoRollOptions(dir))
    const bundled = join(dir, 'chunks', PINO_ROLL_FILE)
    const ours = join(dir, 'logs-bundled')
    const theirs = join(dir, 'logs-package')
    expect(rollWith(bundled, ours)).toBe(0)
    // The package itself, for comparison, requires the whole of date-fns.
    expect(rollWith('pino-roll', theirs)).toBeGreaterThan(100)
    const files = (await readdir(ours)).sort()
    expect(files).toEqual((await readdir(theirs)).sort())
    const now = new Date()
    const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`
    expect(files).toContain(`flyer.${day}.1.log`)
    expect(await readlink(join(ours, 'current.log'))).toBe(`flyer.${day}.1.log`)
    expect(await readFile(join(ours, `flyer.${day}.1.log`), 'utf8')).toBe('{"msg":"rolled"}\n')
  })

  it('fails the build, saying what to update, when pino-roll takes date-fns another way', async () => {
    const entry = join(dir, 'takes-all.cjs')
    await mkdir(dir, { recursive: true })
    await writeFile(entry, "const dateFns = require('date-fns')\nmodule.exports = dateFns.format\n")
    await expect(build({ ...pinoRollOptions(dir), entryPoints: [entry], outfile: join(dir, 'x.cjs'), logLevel: 'silent' })).rejects.toThrow(
      /no longer takes date-fns as `const \{ … \} = require\('date-fns'\)`: update dateFnsAsPinoRollUses in scripts\/bundle.ts/,
    )
  })
})

describe("the build's own pino (scripts/bundle.ts)", () => {
  it('loads pino from its bundle, and its transports still find the files they run in worker threads', async () => {
    const out = join(dir, 'pino')
    await buildServer('tests/fixtures/bundle-pino/entry.ts', out, { logLevel: 'silent' })
    // The import lands in a chunk, beside the bundle it loads.
    const chunks = await readdir(join(out, 'chunks'))
    expect(chunks).toContain(PINO_FILE)
    const file = join(out, 'app.log')
    const loaded = JSON.parse(execFileSync(process.execPath, [join(out, 'server.mjs'), file], { encoding: 'utf8' }).trim()) as string[]
    // Without the paths the bundle hands pino, its worker thread would look for worker.js beside the bundle.
    expect(JSON.parse((await readFile(file, 'utf8')).trim())).toMatchObject({ level: 30, msg: 'through a transport' })
    // The package itself (its ~15 files) is not loaded in this thread: the bundle is.
    expect(loaded).toEqual([])
  })
})
