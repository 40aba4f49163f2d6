import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { killAll, startFlyer, type Flyer } from './helpers/flyer.ts'
import { sleep, startLoad } from './helpers/load.ts'
import { reloadUnderLoad, terminateUnderLoad } from './helpers/signals.ts'
import { report } from './helpers/report.ts'

// Real processes and signals: the fixture server (the real app plus /test/* probes), built as `npm run
// build` builds server.ts, with three workers.
const WORKERS = 3
let flyer: Flyer | undefined
let logDir = ''

beforeAll(async () => {
  const { file } = await buildEntry('tests/runtime/fixtures/server.ts', 'cluster')
  logDir = await mkdtemp(join(tmpdir(), 'flyer-cluster-'))
  flyer = await startFlyer('node', [file], { flyer_timeout: '3', flyer_graceful_timeout: '5', flyer_keepalive: '2', flyer_log_file: '1', flyer_log_dir: logDir }, { workers: WORKERS })
})

afterAll(() => killAll(flyer))

const paths = ['/test/pid', '/flyer/v1/demo/load', '/test/pid', '/test/slow?ms=150']

describe('process model (node:cluster, real signals)', { timeout: 60_000 }, () => {
  it(`forks flyer_workers=${WORKERS} workers and spreads connections over all of them`, async () => {
    const f = flyer!
    expect(f.workerPids()).toHaveLength(WORKERS)
    const seen = new Set<number>()
    for (let i = 0; i < WORKERS * 6; i++) {
      const res = await fetch(`http://127.0.0.1:${f.port}/test/pid`, { headers: { Connection: 'close' } })
      seen.add(((await res.json()) as { pid: number }).pid)
    }
    expect([...seen].sort()).toEqual(f.workerPids().sort())
    expect(f.workerPids()).not.toContain(f.proc.pid)
  })

  it('logs a kill -9ed worker with its signal and replaces it while requests keep succeeding', async () => {
    const f = flyer!
    // A connection the primary was handing to the victim as it died is never answered (node:cluster
    // drops it): a client timeout of 3 s ends that request.
    const load = startLoad({ port: f.port, paths, concurrency: 8, closeLoops: 2, timeoutMs: 3000 })
    await sleep(400)
    const victim = f.workerPids()[0]!
    const from = f.lines.length
    process.kill(victim, 'SIGKILL')
    const died = await f.waitForLine((l) => l.worker === victim && /died/.test(l.msg ?? ''), 10_000, from)
    await f.waitForLine((l) => l.pid === f.proc.pid && l.worker !== victim && / listening$/.test(l.msg ?? ''), 15_000, from)
    const before = load.stats.ok
    await sleep(1000)
    const stats = await load.stop()
    report('kill -9 one of 3 workers under load', stats, { restarts: 1 })
    expect(died).toMatchObject({ signal: 'SIGKILL', code: null })
    expect(f.workerPids()).toHaveLength(WORKERS)
    expect(f.workerPids()).not.toContain(victim)
    // Only requests the killed worker held can fail: at most one per connection.
    expect(stats.failed).toBeLessThanOrEqual(8)
    expect(stats.ok - before).toBeGreaterThan(10)
  })

  it('kills and replaces a worker whose event loop is blocked for flyer_timeout (3 s)', async () => {
    const f = flyer!
    const from = f.lines.length
    const blocked = fetch(`http://127.0.0.1:${f.port}/test/block?ms=60000`).then(
      () => 'answered',
      () => 'cut',
    )
    const silent = await f.waitForLine((l) => /silent for/.test(l.msg ?? ''), 15_000, from)
    const victim = silent.worker
    const died = await f.waitForLine((l) => l.worker === victim && /died/.test(l.msg ?? ''), 10_000, from)
    await f.waitForLine((l) => l.pid === f.proc.pid && l.worker !== victim && / listening$/.test(l.msg ?? ''), 15_000, from)
    expect(died).toMatchObject({ signal: 'SIGKILL' })
    expect(await blocked).toBe('cut')
    expect(f.workerPids()).toHaveLength(WORKERS)
  })

  it('SIGHUP replaces every worker one at a time with zero failed requests', async () => {
    const f = flyer!
    const before = f.workerPids()
    const { stats, from } = await reloadUnderLoad(f, { paths, concurrency: 8, closeLoops: 2 })
    report('SIGHUP rolling reload of 3 workers under load', stats, { restarts: WORKERS })
    expect(stats.failed).toBe(0)
    expect(stats.ok).toBeGreaterThan(100)
    // Each old worker drained and exited 0. 'reload finished' comes once the last replacement listens,
    // while the worker it replaces may still be draining: the workers are counted after the exits.
    for (const pid of before) await f.waitForLine((l) => l.worker === pid && /exited \(code 0\)/.test(l.msg ?? ''), 15_000, from)
    const after = f.workerPids()
    expect(after).toHaveLength(WORKERS)
    for (const pid of before) expect(after).not.toContain(pid)
  })

  it('SIGTERM under load: every accepted request is answered and the process exits 0 within flyer_graceful_timeout', async () => {
    const f = flyer!
    const { stats, exit, signalled } = await terminateUnderLoad(f, { paths: [...paths, '/test/slow?ms=1500'], concurrency: 10 }, 500)
    report('SIGTERM under load (10 loops incl. 1.5 s requests)', stats, { exitCode: exit.code, exitMs: exit.at - signalled })
    expect(stats.failed).toBe(0)
    expect(exit.code).toBe(0)
    expect(exit.at - signalled).toBeLessThan(5000 + 3000)
    // The 1.5 s requests in flight at the signal finished.
    expect(f.lines.some((l) => l.msg === 'Flyer stopped')).toBe(true)
    const file = (await readFile(join(logDir, 'current.log'), 'utf8')).trimEnd().split('\n')
    for (const line of file) expect(() => JSON.parse(line)).not.toThrow()
    expect(file.some((l) => l.includes('"Flyer stopped"'))).toBe(true)
  })
})
