import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { cgroupCpuLimit } from '#lib/cpu-limit.ts'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { type Flyer, killAll, startFlyer } from './helpers/flyer.ts'

// flyer_worker_gc (lib/fork-settings.ts `singleThreadedGc`): the flag is on the worker's own command line.
let file = ''
let flyer: Flyer | undefined

beforeAll(async () => {
  ;({ file } = await buildEntry('tests/runtime/fixtures/server.ts', 'worker-gc'))
}, 60_000)

afterEach(() => {
  killAll(flyer)
  flyer = undefined
})

const workerArgs = (f: Flyer) => readFileSync(`/proc/${f.workerPids()[0]}/cmdline`, 'utf8').split('\0')

describe.skipIf(process.platform !== 'linux')('flyer_worker_gc (Node workers)', () => {
  it('single: the worker runs with --single-threaded-gc, and the primary says so', async () => {
    flyer = await startFlyer('node', [file], { flyer_worker_gc: 'single' })
    expect(workerArgs(flyer)).toContain('--single-threaded-gc')
    expect((await flyer.waitForLine((l) => /primary starting/.test(l.msg ?? ''))).gc).toBe('single-threaded')
    const res = await fetch(`http://127.0.0.1:${flyer.port}/flyer/v1/health_check`)
    expect(res.status).toBe(200)
  }, 30_000)

  it('parallel: the worker keeps V8’s GC helper threads', async () => {
    flyer = await startFlyer('node', [file], { flyer_worker_gc: 'parallel' })
    expect(workerArgs(flyer)).not.toContain('--single-threaded-gc')
    expect((await flyer.waitForLine((l) => /primary starting/.test(l.msg ?? ''))).gc).toBe('parallel')
  }, 30_000)

  // The CPUs the primary counts: the cgroup limit when there is one, else those it may run on.
  const single = (allowed: number) => 1 >= (cgroupCpuLimit() ?? allowed)

  it.skipIf(spawnSync('taskset', ['-V']).status !== 0)('auto: the helper threads are off for one worker on one CPU (taskset), kept when it has more', async () => {
    flyer = await startFlyer('taskset', ['-c', '0', 'node', file], { flyer_worker_gc: 'auto' })
    expect(workerArgs(flyer).includes('--single-threaded-gc')).toBe(single(1))
    killAll(flyer)
    flyer = await startFlyer('node', [file], { flyer_worker_gc: 'auto' })
    expect(workerArgs(flyer).includes('--single-threaded-gc')).toBe(single(availableParallelism()))
  }, 30_000)
})
