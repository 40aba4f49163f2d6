import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { killAll, startFlyer, type Flyer } from './helpers/flyer.ts'
import { sleep, startLoad } from './helpers/load.ts'
import { report } from './helpers/report.ts'

let file = ''
const started: Flyer[] = []

beforeAll(async () => {
  ;({ file } = await buildEntry('tests/runtime/fixtures/server.ts', 'recycle'))
})

afterAll(() => started.forEach(killAll))

const start = async (env: Record<string, string>, workers: number) => {
  const f = await startFlyer('node', [file], { flyer_graceful_timeout: '5', flyer_keepalive: '2', ...env }, { workers })
  started.push(f)
  return f
}

const replacements = (f: Flyer, from = 0) => f.lines.slice(from).filter((l) => l.pid === f.proc.pid && /listening, draining \d+/.test(l.msg ?? ''))

describe('worker recycling', { timeout: 60_000 }, () => {
  it('retires each worker after max_requests + jitter with zero failed requests, and loses no log line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flyer-recycle-'))
    const accessFile = join(dir, 'access.log')
    const f = await start(
      {
        flyer_enable_max_requests: '1',
        flyer_max_requests: '200',
        flyer_max_requests_jitter: '50',
        flyer_access_logfile: accessFile,
        flyer_log_file: '1',
        flyer_log_dir: dir,
      },
      2,
    )
    const first = f.workerPids()
    const load = startLoad({ port: f.port, paths: ['/test/pid', '/flyer/v1/demo/recycle', '/test/slow?ms=100'], concurrency: 8, closeLoops: 2 })
    const deadline = Date.now() + 20_000
    while (replacements(f).length < 4 && Date.now() < deadline) await sleep(100)
    const stats = await load.stop()
    const restarts = replacements(f).length
    report('max-requests 200+0..50, 2 workers, 8 loops', stats, { restarts })
    expect(stats.failed).toBe(0)
    expect(restarts).toBeGreaterThanOrEqual(4)
    expect(stats.pids.size).toBeGreaterThanOrEqual(4)
    for (const pid of first) expect(f.workerPids()).not.toContain(pid)
    expect(f.lines.filter((l) => /asks to be replaced \(max-requests\)/.test(l.msg ?? '')).length).toBeGreaterThanOrEqual(4)

    const served = stats.ok
    f.kill('SIGTERM')
    expect((await f.exited).code).toBe(0)
    // Every answered request has its access line, each a whole JSON line, although 2 + N workers wrote them.
    const access = (await readFile(accessFile, 'utf8')).trimEnd().split('\n')
    const parsed = access.map((l) => JSON.parse(l) as { Url: string })
    expect(parsed.filter((l) => l.Url.includes('/test/') || l.Url.includes('/demo/'))).toHaveLength(served)
    const app = (await readFile(join(dir, 'current.log'), 'utf8')).trimEnd().split('\n')
    for (const line of app) expect(() => JSON.parse(line)).not.toThrow()
    expect(app.filter((l) => l.includes('"worker stopped"')).length).toBeGreaterThanOrEqual(restarts + 2)
  })

  it('recycles a worker whose RSS passes flyer_max_rss_mb, the same way', async () => {
    const f = await start({ flyer_max_rss_mb: '1' }, 1)
    const first = f.workerPids()[0]
    const load = startLoad({ port: f.port, paths: ['/test/pid'], concurrency: 4, closeLoops: 1 })
    const asked = await f.waitForLine((l) => l.worker === undefined && l.pid === first && /asks to be replaced \(max-rss\)/.test(l.msg ?? ''), 15_000)
    await f.waitForLine((l) => l.pid === f.proc.pid && l.replaced === first, 15_000)
    await sleep(300)
    const stats = await load.stop()
    report('max-rss 1 MB, 1 worker, 4 loops', stats, { restarts: replacements(f).length })
    expect(asked.rssMb).toBeGreaterThan(1)
    expect(stats.failed).toBe(0)
    expect(f.workerPids()).not.toContain(first)
    f.kill('SIGTERM')
    expect((await f.exited).code).toBe(0)
  })
})
