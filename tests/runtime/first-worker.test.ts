import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { type Flyer, killAll, startFlyer } from './helpers/flyer.ts'

// The primary does not validate the environment before its first fork: that worker does and sends it the
// result (lib/primary.ts `forkFirst`). These are the paths where that worker never sends it.
let file = ''
const tmp = mkdtempSync(join(tmpdir(), 'flyer-first-worker-'))
let flyer: Flyer | undefined

beforeAll(async () => {
  ;({ file } = await buildEntry('tests/runtime/fixtures/server.ts', 'first-worker'))
}, 60_000)

afterAll(() => {
  killAll(flyer)
  rmSync(tmp, { recursive: true, force: true })
})

describe('the first worker, forked before the primary has its configuration', () => {
  it('dies before sending it: the primary validates the environment itself, logs the death and replaces the worker', async () => {
    const marker = join(tmp, 'died')
    flyer = await startFlyer('node', [file], { FLYER_TEST_FIRST_WORKER_DIES: marker, flyer_workers: '2' }, { workers: 2 })
    const dead = Number(readFileSync(marker, 'utf8'))
    const line = await flyer.waitForLine((l) => l.worker === dead && /died \(code 1\)/.test(l.msg ?? ''))
    expect(line.slot).toBe(0)
    expect(flyer.workerPids()).toHaveLength(2)
    expect(flyer.workerPids()).not.toContain(dead)
    const res = await fetch(`http://127.0.0.1:${flyer.port}/flyer/v1/health_check`)
    expect(await res.text()).toBe('{"msg":"success","code":200}')
  }, 30_000)
})
