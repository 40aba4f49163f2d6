import { afterEach, describe, expect, it, vi } from 'vitest'

// A fresh copy of the modules for each test: what is held, and whether config.ts was imported, is per module instance.
afterEach(() => vi.resetModules())

describe('the process configuration, held apart from its schema (lib/current-config.ts)', () => {
  it('without lib/config.ts imported, says what to do instead of parsing anything', async () => {
    const { currentConfig } = await import('#lib/current-config.ts')
    expect(() => currentConfig()).toThrow('no configuration yet: import lib/config.ts (or call setConfig) before using it')
  })

  it('holds the configuration it was handed (the primary: what its first worker validated), with no schema loaded', async () => {
    const { loadConfig } = await import('#lib/config.ts')
    const sent = loadConfig({ flyer_port: '9999' })
    vi.resetModules()
    const { currentConfig, setCurrentConfig } = await import('#lib/current-config.ts')
    setCurrentConfig(sent)
    expect(currentConfig()).toBe(sent)
  })

  it('once lib/config.ts is imported, loads the environment on first use, as config() does', async () => {
    vi.stubEnv('flyer_port', '7070')
    try {
      const { currentConfig } = await import('#lib/current-config.ts')
      const { config } = await import('#lib/config.ts')
      expect(currentConfig().port).toBe(7070)
      expect(config()).toBe(currentConfig())
    } finally {
      vi.unstubAllEnvs()
    }
  })
})
