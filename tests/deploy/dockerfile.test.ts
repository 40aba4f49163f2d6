import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '#lib/config.ts'

// No Docker daemon in CI: the Dockerfile is checked as text against what the runtime needs.
const text = readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, ' ')
const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
const stages = lines.reduce<string[][]>((acc, l) => (l.startsWith('FROM ') ? [...acc, [l]] : (acc.at(-1)?.push(l), acc)), [])
const final = stages.at(-1)!
const defaults = loadConfig({})

const envOf = (stage: string[]) =>
  Object.fromEntries(
    stage
      .filter((l) => l.startsWith('ENV '))
      .flatMap((l) => [...l.slice(4).matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
  )

describe('Dockerfile', () => {
  it('is multi-stage and the runtime stage installs production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3)
    expect(lines.some((l) => /npm ci .*--omit=dev/.test(l))).toBe(true)
    expect(final.some((l) => l.startsWith('RUN npm ci'))).toBe(false)
    expect(final.filter((l) => l.startsWith('COPY --from=')).map((l) => l.split(' ').slice(-2).join(' '))).toEqual(['/app/node_modules ./node_modules', '/app/dist ./dist'])
  })

  it('runs as a non-root user', () => {
    const user = final.filter((l) => l.startsWith('USER ')).at(-1)
    expect(user).toBeDefined()
    expect(user).not.toMatch(/USER (root|0)\b/)
  })

  it('starts node directly in exec form, so SIGTERM reaches the primary', () => {
    const cmd = final.filter((l) => l.startsWith('CMD ')).at(-1)!
    expect(JSON.parse(cmd.slice(4))).toEqual(['node', 'dist/server.mjs'])
    expect(final.some((l) => l.startsWith('ENTRYPOINT '))).toBe(false)
    expect(final).toContain('STOPSIGNAL SIGTERM')
  })

  it('has a HEALTHCHECK on /health_check (exec form) and exposes the default port', () => {
    const hc = final.find((l) => l.startsWith('HEALTHCHECK '))!
    expect(hc).toMatch(/CMD \["node", "-e", ".*\/health_check/)
    expect(final).toContain(`EXPOSE ${defaults.port}`)
  })

  it("sets the original's defaults, equal to lib/config.ts", () => {
    const env = envOf(final)
    expect(env.NODE_ENV).toBe('production')
    const c = loadConfig(env)
    for (const key of ['host', 'port', 'prefix', 'threads', 'workerConnections', 'timeoutSec', 'gracefulTimeoutSec', 'keepAliveSec'] as const) {
      expect(c[key], key).toEqual(defaults[key])
    }
    expect(c.log.level).toBe(defaults.log.level)
    expect(c.log.retentionDays).toBe(defaults.log.retentionDays)
    expect(c.accessLog).toEqual(defaults.accessLog)
  })

  it('copies only files that exist, and .dockerignore keeps the context small', () => {
    for (const l of final.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const src = l.split(' ').filter((w) => !w.startsWith('--')).slice(1, -1)
      for (const s of src) expect(existsSync(s), s).toBe(true)
    }
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n')
    for (const p of ['node_modules', '.git', 'dist', 'tests', 'logs']) expect(ignored).toContain(p)
  })
})
