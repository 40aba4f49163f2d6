import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { compareRuns, compareTable } from '../../scripts/bench/compare.ts'
import { fixturePath, fixtureSource } from '../../scripts/bench/fixtures.ts'
import { parseAutocannon, parseWrk, wrkDurationMs, wrkScript } from '../../scripts/bench/load.ts'
import { type CpuProfile, mainThreadProfile, topSelf } from '../../scripts/bench/profile.ts'
import { collected } from '../../scripts/bench/instructions.ts'
import { checks, fixedRateTable, inProcessTable, instructionsTable, median, ratios, type Row, table } from '../../scripts/bench/report.ts'
import { bareApp, contractApp } from '../../scripts/bench/servers/bare-app.ts'

// The benchmark's pure parts only: parsing, ratios, the table, the fixture. No timing is asserted.
const WRK = `Running 5s test @ http://127.0.0.1:9101/flyer/v1/health_check
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  512.00us  20.31ms   90.00%
  Latency Distribution
     50%  812.00us
     75%    1.10ms
     90%    1.90ms
     99%    7.43ms
  250000 requests in 5.01s, 70.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  49900.20
Transfer/sec:     13.97MB
`

describe('bench: load generator output', () => {
  it('reads wrk durations in us, ms and s', () => {
    expect(wrkDurationMs('812.00us')).toBeCloseTo(0.812)
    expect(wrkDurationMs('7.43ms')).toBe(7.43)
    expect(wrkDurationMs('1.02s')).toBe(1020)
    expect(() => wrkDurationMs('fast')).toThrow(/not a wrk duration/)
  })

  it('reads req/s, requests, p50, p99 and errors from wrk --latency', () => {
    expect(parseWrk(WRK)).toEqual({ rps: 49900.2, requests: 250000, p50Ms: 0.812, p99Ms: 7.43, errors: 7 })
  })

  it('refuses wrk output it does not understand', () => {
    expect(() => parseWrk('connection refused')).toThrow(/unexpected wrk output/)
  })

  it('reads autocannon --json', () => {
    const out = JSON.stringify({ requests: { average: 30000, total: 150000 }, latency: { p50: 1, p99: 9 }, errors: 1, timeouts: 0, non2xx: 2 })
    expect(parseAutocannon(out)).toEqual({ rps: 30000, requests: 150000, p50Ms: 1, p99Ms: 9, errors: 3 })
  })

  it('writes a Lua script for POST bodies', () => {
    const lua = wrkScript({ url: 'http://x/', method: 'POST', body: '{"msgContent":"Flyer"}', headers: { 'Content-Type': 'application/json' } })
    expect(lua).toBe('wrk.method = "POST"\nwrk.body = "{\\"msgContent\\":\\"Flyer\\"}"\nwrk.headers["Content-Type"] = "application/json"\n')
  })
})

describe('bench: report', () => {
  const rows: Row[] = [
    { id: 'node:bare-hono', scenario: 'bare Hono', runtime: 'node', kind: 'load', baseline: true, rps: 50000, p50Ms: 1, p99Ms: 4, cpuUs: 20, rssMb: 70 },
    { id: 'node:flyer-health-log-off', scenario: 'Flyer health', runtime: 'node', kind: 'load', rps: 45000, p50Ms: 1.1, p99Ms: 5, cpuUs: 22, rssMb: 90 },
    { id: 'node:flyer-demo', scenario: 'Flyer demo', runtime: 'node', kind: 'load', rps: 20000, p50Ms: 2, p99Ms: 8, cpuUs: 50, rssMb: 95 },
    { id: 'bun:bare-hono', scenario: 'bare Hono', runtime: 'bun', kind: 'load', baseline: true, rps: 100000, p50Ms: 0.5, p99Ms: 2 },
    { id: 'bun:flyer-health-log-off', scenario: 'Flyer health', runtime: 'bun', kind: 'load', failed: 'bun not found' },
    { id: 'node:cold-start-demo', scenario: 'cold start', runtime: 'node', kind: 'start', p50Ms: 250, p99Ms: 280, rssMb: 55 },
    { id: 'node:idle-rss', scenario: 'idle RSS', runtime: 'node', kind: 'idle', rssMb: 61 },
  ]

  it('compares load rows with bare Hono of the same runtime only', () => {
    expect(ratios(rows[1]!, rows)).toEqual({ rps: 0.9, p99: 1.25, cpu: 20 / 22 })
    expect(ratios(rows[5]!, rows)).toEqual({})
  })

  it('prefers the paired slices (each right after one of bare Hono) over the separate baseline row', () => {
    const paired: Row = { ...rows[2]!, pairedRps: 0.52, pairedP99: 1.4 }
    expect(ratios(paired, rows)).toEqual({ rps: 0.52, p99: 1.4, cpu: 20 / 50 })
    // Without a baseline row in the run (--only), the pairs still give the ratios.
    expect(ratios(paired, [paired])).toEqual({ rps: 0.52, p99: 1.4, cpu: undefined })
    // CPU per request paired too (each server's own processes around its own slices).
    expect(ratios({ ...paired, pairedCpu: 0.61 }, rows)).toEqual({ rps: 0.52, p99: 1.4, cpu: 0.61 })
  })

  it('prints the in-process rows in their own table, with the paired ratio to bare Hono', () => {
    const inproc: Row[] = [
      { id: 'node:inproc-bare-hono', scenario: 'bare Hono GET health_check', runtime: 'node', kind: 'inproc', baseline: true, cpuUs: 7 },
      { id: 'node:inproc-flyer-health-log-off', scenario: 'Flyer health', runtime: 'node', kind: 'inproc', cpuUs: 9.1, pairedRps: 0.75 },
      { id: 'node:inproc-flyer-demo', scenario: 'Flyer demo', runtime: 'node', kind: 'inproc', cpuUs: 28 },
      { id: 'node:inproc-bare-hono-post', scenario: 'bare POST', runtime: 'node', kind: 'inproc', failed: 'in-process run failed' },
      { id: 'bun:inproc-bare-hono', scenario: 'bare Hono GET health_check', runtime: 'bun', kind: 'inproc', baseline: true, cpuUs: 2.5 },
      { id: 'bun:inproc-flyer-health-log-off', scenario: 'Flyer health', runtime: 'bun', kind: 'inproc', cpuUs: 5 },
    ]
    const lines = inProcessTable([...rows, ...inproc]).split('\n')
    expect(lines).toHaveLength(inproc.length + 2)
    expect(lines[2]).toMatch(/\| 7\.00 µs +\| 1\.00× \(baseline\)/)
    expect(lines[3]).toMatch(/\| 9\.10 µs +\| 0\.75× +\|$/)
    expect(lines[4]).toMatch(/\| 28\.00 µs +\| 0\.25× +\|$/)
    expect(lines[5]).toContain('failed: in-process run failed')
    // Bun's rows against Bun's bare Hono, each named with its runtime.
    expect(lines[6]).toMatch(/bare Hono GET health_check \(Bun\) +\| 2\.50 µs +\| 1\.00× \(baseline\)/)
    expect(lines[7]).toMatch(/Flyer health \(Bun\) +\| 5\.00 µs +\| 0\.50× +\|$/)
    // Load rows never mix in, and in-process rows stay out of the load table's ratios.
    expect(table(rows).includes('in process')).toBe(false)
  })

  it('prints one Markdown table with a row per result, failures included', () => {
    const lines = table(rows).split('\n')
    expect(lines).toHaveLength(rows.length + 2)
    expect(lines[0]).toMatch(/^\| scenario +\| req\/s +\| p50 +\| p99 +\| CPU\/req +\| peak RSS +\| req\/s vs bare Hono +\| p99 vs bare Hono +\|$/)
    expect(lines[2]).toContain('1.00× (baseline)')
    expect(lines[3]).toMatch(/\| 45,000 +\| 1\.10 ms +\| 5\.00 ms +\| 22\.0 µs +\| 90 MB +\| 0\.90× +\| 1\.25× +\|/)
    expect(lines[6]).toContain('failed: bun not found')
  })

  it("checks the issue's targets against the rows that ran", () => {
    const byWhat = Object.fromEntries(checks(rows).map((c) => [c.what, c.ok]))
    expect(byWhat['node: health_check, access log off ≥ 85% of bare Hono']).toBe(true)
    expect(byWhat['node: POST demo, access log on ≥ 60% of bare Hono']).toBe(false)
    expect(byWhat['node: cold start, demo app ≤ 300 ms']).toBe(true)
    expect(byWhat['node: idle RSS per worker (settled) ≤ 60 MB']).toBe(false)
    expect(Object.keys(byWhat).some((w) => w.startsWith('bun: health_check'))).toBe(false)
  })

  it('reads the health-check targets beside the header contract alone, when that row ran', () => {
    const contract: Row = { id: 'node:bare-hono-contract', scenario: 'contract', runtime: 'node', kind: 'load', rps: 40000, p50Ms: 1, p99Ms: 4 }
    const detail = (rs: Row[], what: string) => checks(rs).find((c) => c.what === what)?.detail
    const what = 'node: health_check, access log off ≥ 85% of bare Hono'
    expect(detail([...rows, contract], what)).toBe('90% (by CPU per request: 91%) (this run: bare Hono with only the contract headers, set after await next(), 80%)')
    expect(detail(rows, what)).toBe('90% (by CPU per request: 91%)')
    expect(detail([...rows, { ...contract, rps: undefined, failed: 'no answer' }], what)).toBe('90% (by CPU per request: 91%)')
  })

  it("reads the cold start beside the same run's start-up baselines", () => {
    const start = (id: string, p50Ms: number): Row => ({ id: `node:${id}`, scenario: id, runtime: 'node', kind: 'start', p50Ms, p99Ms: p50Ms })
    const demo = start('cold-start-demo', 280)
    const alone = checks([demo]).find((c) => c.what === 'node: cold start, demo app ≤ 300 ms')
    expect(alone?.detail).toBe('280 ms')
    const withBases = checks([start('empty-process', 52), start('empty-process-no-extra-ca', 22), start('cold-start-bare', 84), demo])
    expect(withBases.find((c) => c.what === 'node: cold start, demo app ≤ 300 ms')).toEqual({
      what: 'node: cold start, demo app ≤ 300 ms',
      ok: true,
      detail: '280 ms (this run: bare Hono 84 ms, an empty process 52 ms, without NODE_EXTRA_CA_CERTS 22 ms)',
    })
    // A failed baseline is left out rather than read as 0 ms.
    const failed = checks([{ ...start('cold-start-bare', 84), failed: 'bun not found' }, demo])
    expect(failed.find((c) => c.what === 'node: cold start, demo app ≤ 300 ms')?.detail).toBe('280 ms')
  })

  it('checks p99 at the same req/s when the fixed-rate comparison ran, and prints it in its own table', () => {
    const fixed: Row = { ...rows[2]!, fixed: { rate: 10000, p50Ms: 0.05, p99Ms: 1.8, baseP50Ms: 0.04, baseP99Ms: 1.5, pairedP99: 1.2, errors: 0 } }
    const byWhat = Object.fromEntries(checks([rows[0]!, fixed]).map((c) => [c.what, c]))
    expect(byWhat['node: POST demo, access log on p99 at the same req/s ≤ 1.5× bare Hono']).toMatchObject({ ok: true, detail: '1.20× (1.80 ms vs 1.50 ms at 10,000 req/s)' })
    // Without it, the closed-loop ratio (same connections) is what there is.
    expect(Object.keys(Object.fromEntries(checks(rows).map((c) => [c.what, c])))).toContain('node: POST demo, access log on p99 (same connections) ≤ 1.5× bare Hono')
    const lines = fixedRateTable([rows[0]!, fixed]).split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[2]).toMatch(/^\| Flyer demo \(Node\) +\| 10,000 \| 0\.05 ms \| 1\.80 ms \| 0\.04 ms +\| 1\.50 ms +\| 1\.20× +\| — +\| — +\|$/)
  })

  it('reads p99 beside a bare Hono slowed to the row’s CPU per request, when that yardstick ran', () => {
    const f = { rate: 10000, p50Ms: 0.05, p99Ms: 2.4, baseP50Ms: 0.04, baseP99Ms: 1.5, pairedP99: 1.6, errors: 0, slowed: { spinUs: 3.25, p99Ms: 2.2, pairedP99: 1.1 } }
    const fixed: Row = { ...rows[2]!, fixed: f }
    const check = checks([rows[0]!, fixed]).find((c) => c.what === 'node: POST demo, access log on p99 at the same req/s ≤ 1.5× bare Hono')
    // The target stays against bare Hono itself; the yardstick is read beside it.
    expect(check).toMatchObject({ ok: false, detail: '1.60× (2.40 ms vs 1.50 ms at 10,000 req/s) (this run: 1.10× a bare Hono slowed to its CPU per request, +3.3 µs of busy work)' })
    const [head, , line] = fixedRateTable([rows[0]!, fixed]).split('\n')
    expect(head).toMatch(/\| slowed bare Hono \(busy work\) p99 \| p99 vs slowed \|$/)
    expect(line).toMatch(/\| 1\.60× +\| 2\.20 ms \(\+3\.3 µs\) +\| 1\.10× +\|$/)
  })

  it('takes the median of an odd or even count', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })
})

describe('bench: 1000-route fixture', () => {
  it('spreads files over folders, alternating POST bodies and GET [id] parameters', () => {
    expect(fixturePath(0)).toBe('flyer/v1/gen/g00/r0000.ts')
    expect(fixturePath(1)).toBe('flyer/v1/gen/g00/r0001/[id].ts')
    expect(fixturePath(999)).toBe('flyer/v1/gen/g09/r0999/[id].ts')
    expect(new Set(Array.from({ length: 1000 }, (_, i) => fixturePath(i))).size).toBe(1000)
  })

  it('writes route files the generator accepts: defineRoute exports named after their method', () => {
    expect(fixtureSource(4)).toMatch(/export const POST = defineRoute\(/)
    expect(fixtureSource(4)).toContain("from '#lib/route.ts'")
    expect(fixtureSource(5)).toMatch(/export const GET = defineRoute\(/)
    expect(fixtureSource(5)).toContain('params: z.object({ id:')
  })
})

describe('bench --profile', () => {
  const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber })
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('json', 'file:///srv/dist/chunks/app-B2SGN25M.mjs', 2853) },
      { id: 4, callFrame: frame('', 'node:internal/process/task_queues', 66) },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    samples: [2, 3, 3, 4, 5, 3, 2],
    timeDeltas: [500, 10, 20, 10, 30, 10, 500],
  }

  it('ranks functions by self time as shares of the busy time, idle left out', () => {
    expect(topSelf(profile)).toEqual([
      { name: 'json app.mjs:2854', share: 0.5 },
      { name: '(garbage collector)', share: 0.375 },
      { name: '(anonymous) task_queues:67', share: 0.125 },
    ])
    expect(topSelf(profile, 1)).toHaveLength(1)
    expect(topSelf({ ...profile, samples: [2], timeDeltas: [100] })).toEqual([])
  })

  it("finds the main thread's profile among a process's", () => {
    const dir = mkdtempSync(join(tmpdir(), 'flyer-prof-'))
    try {
      for (const f of ['CPU.20261127.054938.4587.1.002.cpuprofile', 'CPU.20261127.054938.4587.0.001.cpuprofile', 'notes.txt']) writeFileSync(join(dir, f), '{}')
      expect(mainThreadProfile(dir)).toBe(join(dir, 'CPU.20261127.054938.4587.0.001.cpuprofile'))
      rmSync(join(dir, 'CPU.20261127.054938.4587.0.001.cpuprofile'))
      expect(mainThreadProfile(dir)).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('bench: the slowed bare-Hono yardstick', () => {
  it('does at least the busy work asked for before the same answer as bare Hono', async () => {
    const plain = await bareApp().request('/flyer/v1/health_check')
    const app = bareApp({ spinUs: 3000 })
    const t0 = performance.now()
    const res = await app.request('/flyer/v1/health_check')
    // A lower bound only: the busy loop runs until the clock has moved 3 ms, however busy the machine.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3)
    expect(await res.json()).toEqual(await plain.json())
  })
})

describe('bench: the header-contract baseline', () => {
  it('answers the health check with the four contract headers, keeping a sent X-Request-ID', async () => {
    const app = contractApp()
    const res = await app.request('/flyer/v1/health_check', { headers: { 'X-Request-ID': 'abc' } })
    expect(await res.json()).toEqual({ msg: 'success', code: 200 })
    expect(res.headers.get('x-request-id')).toBe('abc')
    expect(res.headers.get('x-lasting-time')).toMatch(/^\d+$/)
    expect(res.headers.get('x-memory-usage')).toMatch(/^\d+(\.\d)?MB$/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const fresh = await app.request('/flyer/v1/health_check')
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('bench --instructions', () => {
  it("reads the count from callgrind's stderr", () => {
    expect(collected('==4242== Events    : Ir\n==4242== Collected : 1273456789\n==4242==\n==4242== I   refs:      1,273,456,789\n')).toBe(1273456789)
    expect(collected('valgrind: command not found')).toBeUndefined()
  })

  it('prints instructions per request with ratios to bare Hono, failures included', () => {
    const lines = instructionsTable([
      { scenario: 'bare Hono GET health_check', runtime: 'node', baseline: true, perRequest: 52_000 },
      { scenario: 'Flyer POST demo', runtime: 'node', perRequest: 130_000 },
      { scenario: 'Flyer GET', runtime: 'node', failed: 'no ready after 600 s' },
      { scenario: 'bare Hono GET health_check', runtime: 'bun', baseline: true, perRequest: 19_000 },
      { scenario: 'Flyer POST demo', runtime: 'bun', perRequest: 76_000 },
    ]).split('\n')
    expect(lines[2]).toMatch(/bare Hono GET health_check \(Node\) +\| 52\.0k +\| 1\.00× \(baseline\)/)
    expect(lines[3]).toMatch(/Flyer POST demo \(Node\) +\| 130\.0k +\| 0\.40×/)
    expect(lines[4]).toMatch(/failed: no ready after 600 s/)
    // Each runtime's rows are read against its own bare Hono.
    expect(lines[5]).toMatch(/bare Hono GET health_check \(Bun\) +\| 19\.0k +\| 1\.00× \(baseline\)/)
    expect(lines[6]).toMatch(/Flyer POST demo \(Bun\) +\| 76\.0k +\| 0\.25×/)
  })

  const bun = ['node_modules/.bin/bun'].find(existsSync)
  const drivers = [
    { runtime: 'Node', available: true },
    { runtime: 'Bun', available: Boolean(bun) },
  ]
  it.each(drivers)('the in-process driver ($runtime) pauses after its warm-up, answers n more once told to go, and reports how many', async ({ runtime, available }) => {
    if (!available) return expect.fail('bun is a devDependency: npm ci installs it')
    const dir = mkdtempSync(join(tmpdir(), 'flyer-count-'))
    let child: ChildProcess | undefined
    try {
      let command: string[]
      if (runtime === 'Node') {
        await build({ entryPoints: ['scripts/bench/servers/in-process.ts'], outdir: dir, outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' })
        command = [process.execPath, join(dir, 'in-process.mjs')]
      } else {
        // Bun runs the driver's TypeScript as is, as the bench does.
        command = [bun!, 'scripts/bench/servers/in-process-bun.ts']
      }
      child = spawn(command[0]!, [...command.slice(1), 'bare', 'GET', '/flyer/v1/health_check'], { env: { ...process.env, FLYER_BENCH_COUNT: `300,200,${dir}` }, stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      const exited = new Promise((done) => child!.on('close', done))
      await expect.poll(() => existsSync(join(dir, 'ready')), { timeout: 20_000 }).toBe(true)
      expect(existsSync(join(dir, 'done'))).toBe(false)
      writeFileSync(join(dir, 'go'), '')
      await expect.poll(() => existsSync(join(dir, 'done')), { timeout: 20_000 }).toBe(true)
      // At least n (it checks every 5 ms, so a few rounds more); the count is what it answered.
      const counted = Number(readFileSync(join(dir, 'done'), 'utf8'))
      expect(counted).toBeGreaterThanOrEqual(200)
      writeFileSync(join(dir, 'exit'), '')
      expect(await exited).toBe(0)
      expect(JSON.parse(out.trim())).toEqual({ requests: counted })
    } finally {
      if (child?.exitCode === null) child.kill()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)
})

describe('bench --compare', () => {
  it('measures the two checkouts in pairs, alternating which goes first, and keeps each pair’s after ÷ before', async () => {
    const order: string[] = []
    const value = { before: [10, 12, 8], after: [5, 12, 10] }
    const row = await compareRuns('cold start', 'ms', 3, (side) => {
      order.push(side)
      return value[side][order.filter((s) => s === side).length - 1]!
    })
    expect(order).toEqual(['before', 'after', 'after', 'before', 'before', 'after'])
    expect(row).toEqual({ scenario: 'cold start', unit: 'ms', before: [10, 12, 8], after: [5, 12, 10], ratios: [0.5, 1, 1.25] })
  })

  it('ends a row at the first failure, keeping the pairs that ran and the reason', async () => {
    let calls = 0
    const row = await compareRuns('in process', 'µs', 5, async () => {
      if (++calls === 4) throw new Error('in-process run failed: boom\nstack')
      return 2
    })
    expect(row).toMatchObject({ before: [2], after: [2], ratios: [1], failed: 'in-process run failed: boom' })
  })

  it('prints each side’s median and range and the median ratio, failures included', () => {
    const lines = compareTable(
      [
        { scenario: 'Flyer POST (Node, in process)', unit: 'µs', before: [16.5, 15.9, 17.2], after: [14.1, 14.9, 13.8], ratios: [0.85, 0.94, 0.8] },
        { scenario: 'cold start (Bun)', unit: 'ms', before: [], after: [], ratios: [], failed: 'bun not found' },
      ],
      { before: '/tmp/base', after: '/work/main' },
    ).split('\n')
    expect(lines[0]).toMatch(/^\| scenario +\| before: \/tmp\/base +\| after: \/work\/main +\| after ÷ before/)
    expect(lines[2]).toMatch(/\| 16\.50 µs \(15\.90–17\.20\) +\| 14\.10 µs \(13\.80–14\.90\) +\| 0\.85× +\|$/)
    expect(lines[3]).toMatch(/^\| cold start \(Bun\) \(failed: bun not found\) +\| — +\| — +\| — +\|$/)
  })
})
