import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { killAll, startFlyer, type Flyer } from './helpers/flyer.ts'
import { reloadUnderLoad, terminateUnderLoad } from './helpers/signals.ts'
import { report } from './helpers/report.ts'

// `npm run start:bun`: the same process model on Bun, running the same bundle as Node (`npm run build`).
// Bun's node:cluster cannot pass sockets, so each worker binds the port itself with SO_REUSEPORT (Linux)
// and the kernel spreads connections.
const BUN = 'node_modules/.bin/bun'
let flyer: Flyer | undefined

beforeAll(async () => {
  const { file } = await buildEntry('tests/runtime/fixtures/server.ts', 'bun')
  flyer = await startFlyer(BUN, [file], { flyer_graceful_timeout: '5', flyer_keepalive: '2', flyer_timeout: '2' }, { workers: 2 })
}, 60_000)

afterAll(() => killAll(flyer))

describe('Bun runtime (the bundle, 2 workers on SO_REUSEPORT)', { timeout: 60_000 }, () => {
  it('serves the same wire contract from both workers', async () => {
    const f = flyer!
    for (const pid of f.workerPids()) await f.waitForLine((l) => l.pid === pid && l.runtime === 'bun' && l.msg === 'worker listening', 5000)
    const health = await fetch(`http://127.0.0.1:${f.port}/health_check`)
    expect(await health.json()).toEqual({ msg: 'success', code: 200 })
    // The bundle finds the docs' document and the offline assets from dist/ as it does on Node.
    const spec = (await (await fetch(`http://127.0.0.1:${f.port}/flyer/v1/openapi.json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(spec.paths)).toContain('/flyer/v1/demo')
    expect((await fetch(`http://127.0.0.1:${f.port}/flyer/static/vendor/swagger-ui/swagger-ui-bundle.js`)).status).toBe(200)
    expect(health.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    const bad = await fetch(`http://127.0.0.1:${f.port}/flyer/v1/demo`, { method: 'POST', body: '{"msgContent":1}', headers: { 'X-Request-ID': 'bun-1' } })
    expect(await bad.json()).toMatchObject({ code: 40000, logId: 'bun-1', clientIp: '127.0.0.1' })
    const slow = await fetch(`http://127.0.0.1:${f.port}/test/slow?ms=10000`)
    expect(await slow.json()).toMatchObject({ code: 50000, msg: 'Request timed out after 2 s' })
    const seen = new Set<number>()
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${f.port}/test/pid`, { headers: { Connection: 'close' } })
      seen.add(((await res.json()) as { pid: number }).pid)
    }
    expect([...seen].sort()).toEqual(f.workerPids().sort())
  })

  it('replaces a kill -9ed worker', async () => {
    const f = flyer!
    const victim = f.workerPids()[0]!
    const from = f.lines.length
    process.kill(victim, 'SIGKILL')
    const died = await f.waitForLine((l) => l.worker === victim && /died/.test(l.msg ?? ''), 10_000, from)
    await f.waitForLine((l) => l.pid === f.proc.pid && l.worker !== victim && / listening$/.test(l.msg ?? ''), 15_000, from)
    expect(died.signal).toBe('SIGKILL')
    expect(f.workerPids()).toHaveLength(2)
  })

  // What differs from Node: a closing SO_REUSEPORT listener resets the connections still in its accept
  // queue (Linux; net.ipv4.tcp_migrate_req=1 hands most of them to a live worker). Node's cluster has one
  // listener in the primary, so nothing is queued on a worker and its reloads lose nothing.
  it('SIGHUP reloads every worker; only connections queued on the closing SO_REUSEPORT listener may reset', async () => {
    const f = flyer!
    const before = f.workerPids()
    const { stats, from } = await reloadUnderLoad(f, { paths: ['/test/pid', '/flyer/v1/demo/bun'], concurrency: 6 })
    report('Bun: SIGHUP rolling reload of 2 workers, keep-alive load', stats, { restarts: 2 })
    expect(stats.failed).toBeLessThanOrEqual(10)
    expect(Object.keys(stats.errors).filter((e) => e !== 'ECONNRESET')).toEqual([])
    expect(stats.ok).toBeGreaterThan(100)
    for (const pid of before) await f.waitForLine((l) => l.worker === pid && /exited \(code 0\)/.test(l.msg ?? ''), 10_000, from)
    expect(f.workerPids()).toHaveLength(2)
  })

  it('SIGTERM under load: every accepted request is answered, exit 0', async () => {
    const f = flyer!
    const { stats, exit, signalled } = await terminateUnderLoad(f, { paths: ['/test/pid', '/test/slow?ms=1000'], concurrency: 6 }, 400)
    report('Bun: SIGTERM under load', stats, { exitCode: exit.code, exitMs: exit.at - signalled })
    expect(stats.failed).toBe(0)
    expect(exit.code).toBe(0)
    expect(exit.at - signalled).toBeLessThan(5000 + 3000)
  })
})
