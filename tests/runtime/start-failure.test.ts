import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startProcess } from '../helpers/server.ts'
import { buildEntry } from './helpers/build.ts'

// A Flyer that cannot start must say why in one line and exit non-zero — also when the reason is that its
// own log cannot be opened, so the logger that would report it fails too.
let file = ''
const tmp = mkdtempSync(join(tmpdir(), 'flyer-start-failure-'))

beforeAll(async () => {
  ;({ file } = await buildEntry('server.ts', 'start-failure'))
}, 60_000)

afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** Runs the bundle until it exits (or 20 s pass: a hang fails the test); its output is stdout and stderr. */
const run = async (env: Record<string, string>) => {
  const p = startProcess(process.execPath, [file], { flyer_host: '127.0.0.1', flyer_port: String(await freePort()), ...env })
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 20_000)))
  const code = await Promise.race([p.exited, hung])
  clearTimeout(timer)
  if (code === 'hung') await p.stop('SIGKILL')
  return { code, output: p.output() }
}

describe('a Flyer that cannot start', () => {
  it('whose log folder cannot be made: one line on stderr naming the folder, and exit 1', async () => {
    const notADir = join(tmp, 'a-file')
    writeFileSync(notADir, '')
    const { code, output } = await run({ flyer_workers: '2', flyer_log_dir: join(notADir, 'logs') })
    expect(code).toBe(1)
    expect(output.trim().split('\n')).toEqual([`flyer: Flyer failed to start: ENOTDIR: not a directory, mkdir '${join(notADir, 'logs')}'`])
  }, 30_000)

  it('with a bad setting: the config error and exit 2, before any log is opened', async () => {
    const { code, output } = await run({ flyer_workers: 'many' })
    expect(code).toBe(2)
    expect(output).toContain('flyer_workers')
    // Said once: the first worker found it and exited 2; the primary, which had not validated yet, does not repeat it.
    expect(output.match(/Invalid configuration/g)).toHaveLength(1)
  }, 30_000)
})
