import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { freePort } from './helpers/flyer.ts'

// A Flyer that cannot start must say why in one line and exit non-zero — also when the reason is that its
// own log cannot be opened, so the logger that would report it fails too.
let file = ''
const tmp = mkdtempSync(join(tmpdir(), 'flyer-start-failure-'))

beforeAll(async () => {
  ;({ file } = await buildEntry('server.ts', 'start-failure'))
}, 60_000)

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** Runs the bundle until it exits (or 20 s pass: a hang fails the test). */
const run = async (env: Record<string, string>) => {
  const child = spawn(process.execPath, [file], { env: { ...process.env, flyer_host: '127.0.0.1', flyer_port: String(await freePort()), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdout.resume()
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve(null)
    }, 20_000)
    child.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  return { code, stderr }
}

describe('a Flyer that cannot start', () => {
  it('whose log folder cannot be made: one line on stderr naming the folder, and exit 1', async () => {
    const notADir = join(tmp, 'a-file')
    writeFileSync(notADir, '')
    const { code, stderr } = await run({ flyer_workers: '2', flyer_log_dir: join(notADir, 'logs') })
    expect(code).toBe(1)
    expect(stderr.trim().split('\n')).toEqual([`flyer: Flyer failed to start: ENOTDIR: not a directory, mkdir '${join(notADir, 'logs')}'`])
  }, 30_000)

  it('with a bad setting: the config error and exit 2, before any log is opened', async () => {
    const { code, stderr } = await run({ flyer_workers: 'many' })
    expect(code).toBe(2)
    expect(stderr).toContain('flyer_workers')
  }, 30_000)
})
