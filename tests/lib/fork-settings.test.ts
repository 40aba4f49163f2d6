import { describe, expect, it } from 'vitest'
import { loadConfig } from '#lib/config.ts'
import { forkSettings, singleThreadedGc } from '#lib/fork-settings.ts'

describe('forkSettings (what the primary reads before its first fork, without the env schema)', () => {
  it.each([
    {},
    { flyer_workers: '4' },
    { flyer_workers: ' 2 ', flyer_threads: '16' },
    { NODE_ENV: 'development', flyer_threads: '1' },
    { flyer_threads: '1024' },
    { flyer_worker_gc: 'single' },
    { flyer_worker_gc: ' Parallel ' },
    { flyer_worker_gc: 'auto' },
  ])('agrees with the validated configuration for %j', (env) => {
    const c = loadConfig(env)
    expect(forkSettings(env)).toEqual({ dev: c.dev, workers: c.workers, threads: c.threads, gc: c.workerGc })
  })

  it('reads only plain whole numbers, leaving anything else to the validation (which refuses it)', () => {
    for (const bad of ['many', '2.5', '-1', '0x10', '']) {
      expect(forkSettings({ flyer_workers: bad, flyer_threads: bad, flyer_worker_gc: bad })).toEqual({ dev: false, workers: undefined, threads: 5, gc: 'auto' })
      if (bad) expect(() => loadConfig({ flyer_workers: bad })).toThrow(/flyer_workers/)
      if (bad) expect(() => loadConfig({ flyer_worker_gc: bad })).toThrow(/flyer_worker_gc=.*expected one of auto\/single\/parallel/)
    }
  })

  it('turns V8’s GC helper threads off when the workers have no CPU to spare, or when told to', () => {
    expect(singleThreadedGc('auto', 1, 2)).toBe(false)
    expect(singleThreadedGc('auto', 2, 2)).toBe(true)
    expect(singleThreadedGc('auto', 3, 1.5)).toBe(true)
    expect(singleThreadedGc('auto', 1, 1.5)).toBe(false)
    expect(singleThreadedGc('single', 1, 8)).toBe(true)
    expect(singleThreadedGc('parallel', 8, 1)).toBe(false)
  })
})
