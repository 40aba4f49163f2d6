import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, envSchema, loadConfig } from '#lib/config.ts'
import { redactedConfig } from '#lib/redact.ts'

describe('loadConfig', () => {
  it('gives the original defaults with an empty environment', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      baseUrl: '/flyer',
      version: 'v1',
      prefix: '/flyer/v1',
      threads: 5,
      workerConnections: 1000,
      timeoutSec: 60,
      gracefulTimeoutSec: 10,
      keepAliveSec: 5,
      log: { level: 'info' },
      accessLog: { enabled: true, file: '-' },
      httpErrors: false,
      validateResponse: false,
    })
    expect(c.redis).toBeUndefined()
    expect(c.db).toBeUndefined()
    expect(c.kafka).toBeUndefined()
  })

  it('names the variable, the value and what is expected for a bad value', () => {
    expect(() => loadConfig({ flyer_port: 'not-a-port' })).toThrowError(/flyer_port="not-a-port": expected a whole number/)
  })

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ flyer_port: '99999', flyer_access_log: 'maybe', flyer_log_level: 'loud' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const names = (err as ConfigError).problems.map((p) => p.split('=')[0])
      expect(names.sort()).toEqual(['flyer_access_log', 'flyer_log_level', 'flyer_port'])
    }
  })

  it('refuses auth enabled without a user or password', () => {
    expect(() => loadConfig({ flyer_auth_enable: '1', flyer_auth_user: 'ops' })).toThrowError(/flyer_auth_user and flyer_auth_pass/)
  })

  it('never shows a secret value in its error', () => {
    expect(() => loadConfig({ flyer_redis_port: 'x', flyer_db_pass: 'hunter2', flyer_db_port: 'hunter2' })).toThrowError(/flyer_db_port="hunter2"/)
    try {
      loadConfig({ flyer_auth_enable: 'yes', flyer_auth_pass: 'hunter2', flyer_port: '-1' })
    } catch (err) {
      expect(String(err)).not.toContain('hunter2')
    }
  })

  it('normalises the base url and maps log level aliases', () => {
    const c = loadConfig({ flyer_base_url: 'ops/', flyer_version: 'v2', flyer_log_level: 'WARNING' })
    expect(c.prefix).toBe('/ops/v2')
    expect(c.log.level).toBe('warn')
  })

  it('enables clients only when configured', () => {
    const c = loadConfig({ flyer_redis_db: '3', flyer_db_host: '127.0.0.1', flyer_kafka_servers: 'a:9092, b:9092' })
    expect(c.redis).toEqual({ host: 'localhost', port: 6379, password: '', db: 3 })
    expect(c.db).toMatchObject({ host: '127.0.0.1', poolSize: 32, recycleSec: 1800 })
    expect(c.kafka).toEqual({ brokers: ['a:9092', 'b:9092'], topic: 'flyer' })
  })

  it('turns response validation on in development only, unless set', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).validateResponse).toBe(true)
    expect(loadConfig({ NODE_ENV: 'development', flyer_validate_response: '0' }).validateResponse).toBe(false)
  })

  it('masks passwords in the effective configuration it logs', () => {
    const shown = JSON.stringify(redactedConfig(loadConfig({ flyer_db_host: 'h', flyer_db_pass: 'hunter2', flyer_auth_enable: '1', flyer_auth_user: 'u', flyer_auth_pass: 'pw123' })))
    expect(shown).not.toContain('hunter2')
    expect(shown).not.toContain('pw123')
    // The marker every log uses; an unset password stays visibly empty.
    const c = redactedConfig(loadConfig({ flyer_db_host: 'h', flyer_db_pass: 'hunter2', flyer_redis_host: 'r' })) as { db: { password: string }; redis: { password: string } }
    expect(c.db.password).toBe('[REDACTED]')
    expect(c.redis.password).toBe('')
  })
})

describe('README configuration table', () => {
  it('documents every flyer_* variable the schema reads, and no other', () => {
    const readme = readFileSync('README.md', 'utf8')
    const table = readme.split('<!-- env-table:start -->')[1]!.split('<!-- env-table:end -->')[0]!
    const documented = [...table.matchAll(/^\| `(flyer_\w+)`/gm)].map((m) => m[1]).sort()
    const read = Object.keys(envSchema.shape).filter((k) => k.startsWith('flyer_')).sort()
    expect(documented).toEqual(read)
  })
})
