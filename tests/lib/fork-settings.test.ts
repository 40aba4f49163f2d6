import { describe, expect, it } from 'vitest'
import { loadConfig } from '#lib/config.ts'
import { forkSettings } from '#lib/fork-settings.ts'

describe('forkSettings (what the primary reads before its first fork, without the env schema)', () => {
  it.each([{}, { flyer_workers: '4' }, { flyer_workers: ' 2 ', flyer_threads: '16' }, { NODE_ENV: 'development', flyer_threads: '1' }, { flyer_threads: '1024' }])(
    'agrees with the validated configuration for %j',
    (env) => {
      const c = loadConfig(env)
      expect(forkSettings(env)).toEqual({ dev: c.dev, workers: c.workers, threads: c.threads })
    },
  )

  it('reads only plain whole numbers, leaving anything else to the validation (which refuses it)', () => {
    for (const bad of ['many', '2.5', '-1', '0x10', '']) {
      expect(forkSettings({ flyer_workers: bad, flyer_threads: bad })).toEqual({ dev: false, workers: undefined, threads: 5 })
      if (bad) expect(() => loadConfig({ flyer_workers: bad })).toThrow(/flyer_workers/)
    }
  })
})
