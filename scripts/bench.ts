#!/usr/bin/env -S npx tsx
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'
import { compareRuns, compareTable, type Compared, type Side } from './bench/compare.ts'
import { makeManyRoutesProject } from './bench/fixtures.ts'
import { fixedRate, type Generator, load, type LoadResult, pickGenerator, type Target } from './bench/load.ts'
import type { OpenLoopResult } from './bench/open-loop.ts'
import { mainThreadProfile, profileTable } from './bench/profile.ts'
import { freePort, hit, pinning, processTree, start, statusMb, stop, treeCpuSec, treeMb, waitFor200 } from './bench/process.ts'
import { haveCallgrind, instructionsPerRequest } from './bench/instructions.ts'
import { checks, fixedRateTable, inProcessTable, type InstructionCount, instructionsTable, median, type Row, rowName, type Runtime, runtimeName, table } from './bench/report.ts'

const HELP = `Usage: npm run bench -- [options]

Benchmarks Flyer against bare node:http and bare Hono on this machine, on loopback, one server loaded at
a time: the server pinned to one CPU and the load generator (wrk if installed, else autocannon) to another
(taskset, when present). Each load row warms up, then measures; each server is stopped by its PID.
A second bare-Hono server runs beside the rows of its runtime, and every measured slice of a row comes
right after a slice of it: the ratios are the median over those pairs, so a machine that slows down
for a minute moves both sides alike. Prints Markdown tables — the rows (req/s, p50, p99, CPU per
request, peak RSS, ratios to bare Hono of the same runtime), latency at the same req/s, the in-process
rows — and the issue's targets. The in-process rows leave the network out: on Node, node:http fed
from memory; on Bun, the app's fetch called with Requests made in memory (Bun.serve's own parsing and
writing left out, and requestIP() answered without its system call).
The p99 target is about latency at the same load: for the health-check and POST-demo rows, an open-loop
generator (scripts/bench/open-loop.ts: requests leave at a fixed rate, half the row's best req/s, and
each latency counts from when the request was due) drives bare Hono, a bare Hono slowed to the row's
CPU per request (busy work in its handler: the row's CPU per request minus bare Hono's, paired slices)
and then the row at that same rate, slice after slice — a slower server clears a longer queue after each
of the machine's stalls, and the slowed one shows how much of the row's p99 that alone explains; beside
that table a 2-s clock-reading loop on the server's CPU shows how long the machine itself stalls.
Start-up is read beside two baselines of the same run: an empty process
(\`node -e 0\`; again without NODE_EXTRA_CA_CERTS when it is set, since Node reads that file at every
start) and bare Hono's own cold start. Idle RSS is read 1 s after start and again after 10 s without
requests (the target uses the latter). Runs \`npm run build\` first;
Flyer runs as \`node dist/server.mjs\` and \`bun dist/server.mjs\` with flyer_workers=1, the app log file off
(on, as by default, for the cold starts) and the access log (when on) in a temp folder.

Options:
  --json <file>        Also write the rows, targets and machine to <file>.
  --quick              Every row in under three minutes: one 1-s slice per load row after a 1-s warm-up,
                       one run of each start and in-process row (--duration 1 --warmup 1 --runs 1;
                       options given explicitly still win). Noisier: the default run pairs and repeats
                       each measurement and takes ~9–11 minutes here.
  --duration <s>       Seconds measured per load row (default 6), in three slices; the best slice is
                       reported, and the server's CPU time per request over all of them.
  --warmup <s>         Seconds of load before measuring (default 2).
  --connections <n>    Keep-alive connections (default 64).
  --runs <n>           Cold starts per app (default 3; the median is reported), and in-process runs
                       per row, each after one of bare Hono (least CPU per request; median ratio).
  --routes <n>         Route files in the generated cold-start fixture (default 1000).
  --only <ids>         Comma-separated substrings of row ids to run, e.g. node:,cold-start.
  --project <dir>      The Flyer checkout to measure (default: this one); for before/after runs.
  --compare <dir>      Before/after in one command: measures the in-process rows and the demo app's
                       cold start (Node and Bun) for <dir> ("before", built first unless --no-build)
                       and for --project ("after"), run by run in pairs that alternate which goes
                       first, and prints one table: each side's median (range) and the median of the
                       pairs' after ÷ before. Nothing else runs. Use --runs 5 or more: the VM drifts.
  --no-build           Use the existing dist/server.mjs.
  --profile <dir>      After the in-process rows, run each once more under \`--cpu-prof\` (Node or Bun), keep the
                       profiles in <dir>/<row> (flame graphs: open them in Chrome DevTools › Performance,
                       VS Code or speedscope) and print each row's functions with the most self time.
  --instructions       After the in-process rows, count each one's instructions per request under
                       callgrind (valgrind; 10,000 requests after 20,000 uninstrumented, on Bun 20,000
                       after 100,000; minutes per row)
                       and print them as a table with ratios to bare Hono's health check (counted as
                       well whenever another in-process row is). Steadier than timings on a
                       VM whose speed drifts, but not exact (Flyer's health check: 69–86k in three
                       counts here): compare builds by several counts each. Blind to cache misses and
                       the kernel.
  -h, --help           Show this help.

Row ids: node:bare-node-http node:bare-hono node:bare-hono-post node:bare-hono-contract
node:flyer-health-log-off node:flyer-health-log-file node:flyer-demo node:flyer-validation bun:bare-hono
bun:bare-hono-post bun:bare-hono-contract bun:flyer-… (same four) {node,bun}:inproc-bare-hono
{node,bun}:inproc-flyer-health-log-off {node,bun}:inproc-flyer-health-log-file {node,bun}:inproc-bare-hono-post
{node,bun}:inproc-flyer-demo {node,bun}:empty-process
node:empty-process-no-extra-ca {node,bun}:cold-start-bare {node,bun}:cold-start-demo
{node,bun}:cold-start-1000 {node,bun}:idle-rss (settled) {node,bun}:idle-rss-boot (1 s after start)`

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '64' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    routes: { type: 'string', default: '1000' },
    only: { type: 'string' },
    project: { type: 'string', default: '.' },
    compare: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    profile: { type: 'string' },
    instructions: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (values.help) {
  console.log(HELP)
  process.exit(0)
}
if (values.instructions && !haveCallgrind()) {
  console.error('bench: --instructions needs valgrind and callgrind_control (Debian: apt-get install -y valgrind)')
  process.exit(2)
}

const positive = (name: string, v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} ${v}: expected a whole number above 0`)
    process.exit(2)
  }
  return n
}
// --quick: every row, once and short — under three minutes in all (163 s here); the defaults pair and repeat (~9–11).
const duration = positive('duration', values.duration ?? (values.quick ? '1' : '6'))
// The measured time is cut into slices and the best slice reported: on a shared machine other
// processes only ever slow a slice down. CPU per request counts all slices.
const SLICES = duration >= 3 ? 3 : 1
const sliceSec = Math.max(1, Math.round(duration / SLICES))
const warmup = positive('warmup', values.warmup ?? (values.quick ? '1' : '2'))
const connections = positive('connections', values.connections)
const runs = positive('runs', values.runs ?? (values.quick ? '1' : '3'))
const routeCount = positive('routes', values.routes)
const only = values.only?.split(',').filter(Boolean)
const wanted = (id: string) => !only || only.some((o) => id.includes(o))

const project = resolve(values.project)
const before = values.compare === undefined ? undefined : resolve(values.compare)
const here = import.meta.dirname
const tmp = mkdtempSync(join(tmpdir(), 'flyer-bench-'))
const pin = pinning()
const gen: Generator = pickGenerator()
const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`)

const bunBin = [resolve(here, '../node_modules/.bin/bun'), resolve(project, 'node_modules/.bin/bun')].find(existsSync) ??
  (spawnSync('bun', ['--version'], { stdio: 'ignore' }).status === 0 ? 'bun' : undefined)
const runtimeCmd = (rt: Runtime): string[] | undefined => (rt === 'node' ? [process.execPath] : bunBin ? [bunBin] : undefined)

const PREFIX = '/flyer/v1'
const FLYER_HEADERS = ['x-request-id', 'x-lasting-time', 'x-memory-usage', 'x-content-type-options']

interface Server {
  cmd: string[]
  cwd: string
  env?: Record<string, string>
}

/** Flyer with one worker; the app log file only when asked (the cold starts: it is the default). */
const flyerServer = (rt: Runtime, cwd: string, accessLog: boolean, name: string, appLogFile = false): Server => ({
  cmd: ['dist/server.mjs'],
  cwd,
  env: {
    NODE_ENV: 'production',
    flyer_host: '127.0.0.1',
    flyer_workers: '1',
    flyer_log_file: appLogFile ? '1' : '0',
    flyer_log_dir: join(tmp, 'logs'),
    flyer_log_level: 'warn',
    flyer_access_log: accessLog ? '1' : '0',
    flyer_access_logfile: join(tmp, `access-${name}.log`),
  },
})

/** Starts a server on a free port; the caller stops it. */
const launch = async (rt: Runtime, s: Server, name: string) => {
  const runtime = runtimeCmd(rt)
  if (!runtime) throw new Error('bun not found')
  const port = await freePort()
  const portArgs = s.env ? [] : [String(port)]
  const env = { ...process.env, ...s.env, flyer_port: String(port) }
  const t0 = performance.now()
  const started = start(pin.server, [...runtime, ...s.cmd, ...portArgs], { cwd: s.cwd, env, logFile: join(tmp, `${name}.log`) })
  return { started, port, t0 }
}

const serverLog = (name: string) => {
  try {
    return readFileSync(join(tmp, `${name}.log`), 'utf8').trim().split('\n').slice(-5).join('\n')
  } catch {
    return ''
  }
}

const DEMO = JSON.stringify({ msgContent: 'Flyer' })
const BAD = JSON.stringify({ msgContent: 12345 })
const JSON_HEADERS = { 'Content-Type': 'application/json' }

interface LoadCase {
  id: string
  scenario: string
  runtime: Runtime
  server: Server
  target: (port: number) => Target
  /** What the first answer must contain before the server is measured. */
  expect: string
  flyer: boolean
  baseline?: boolean
  /** Also compare latency with bare Hono's at the same fixed req/s (the rows the p99 target is about). */
  sameRate?: boolean
}

const health = (port: number): Target => ({ url: `http://127.0.0.1:${port}${PREFIX}/health_check`, method: 'GET' })
const demo = (body: string) => (port: number): Target => ({ url: `http://127.0.0.1:${port}${PREFIX}/demo`, method: 'POST', body, headers: JSON_HEADERS })

const bareHono = (rt: Runtime, bareDir: string, ...args: string[]): Server =>
  rt === 'node' ? { cmd: [join(bareDir, 'bare-hono.mjs'), ...args], cwd: bareDir } : { cmd: [join(here, 'bench/servers/bare-hono.ts'), ...args], cwd: here }

const CONTRACT_ROW = 'bare Hono + the four contract headers set after await next(), nothing else'

const loadCases = (bareDir: string): LoadCase[] => {
  const flyer = (rt: Runtime): LoadCase[] => [
    { id: `${rt}:flyer-health-log-off`, scenario: 'Flyer GET health_check, access log off', runtime: rt, server: flyerServer(rt, project, false, 'off'), target: health, expect: '"code":200', flyer: true, sameRate: true },
    { id: `${rt}:flyer-health-log-file`, scenario: 'Flyer GET health_check, access log to a file', runtime: rt, server: flyerServer(rt, project, true, `${rt}-health`), target: health, expect: '"code":200', flyer: true, sameRate: true },
    { id: `${rt}:flyer-demo`, scenario: 'Flyer POST demo (validation), access log on', runtime: rt, server: flyerServer(rt, project, true, `${rt}-demo`), target: demo(DEMO), expect: '"Hello Flyer!"', flyer: true, sameRate: true },
    { id: `${rt}:flyer-validation`, scenario: 'Flyer POST demo failing validation (40000), access log on', runtime: rt, server: flyerServer(rt, project, true, `${rt}-bad`), target: demo(BAD), expect: '"code":40000', flyer: true },
  ]
  return [
    { id: 'node:bare-node-http', scenario: 'bare node:http', runtime: 'node', server: { cmd: [join(bareDir, 'bare-node-http.mjs')], cwd: bareDir }, target: health, expect: '"code":200', flyer: false },
    { id: 'node:bare-hono', scenario: 'bare Hono', runtime: 'node', server: bareHono('node', bareDir), target: health, expect: '"code":200', flyer: false, baseline: true },
    { id: 'node:bare-hono-post', scenario: 'bare Hono POST reading the JSON body (no validation, no log)', runtime: 'node', server: bareHono('node', bareDir), target: demo(DEMO), expect: '"Hello Flyer!"', flyer: false },
    { id: 'node:bare-hono-contract', scenario: CONTRACT_ROW, runtime: 'node', server: bareHono('node', bareDir, '--contract'), target: health, expect: '"code":200', flyer: false },
    ...flyer('node'),
    { id: 'bun:bare-hono', scenario: 'bare Hono', runtime: 'bun', server: bareHono('bun', bareDir), target: health, expect: '"code":200', flyer: false, baseline: true },
    { id: 'bun:bare-hono-post', scenario: 'bare Hono POST reading the JSON body (no validation, no log)', runtime: 'bun', server: bareHono('bun', bareDir), target: demo(DEMO), expect: '"Hello Flyer!"', flyer: false },
    { id: 'bun:bare-hono-contract', scenario: CONTRACT_ROW, runtime: 'bun', server: bareHono('bun', bareDir, '--contract'), target: health, expect: '"code":200', flyer: false },
    ...flyer('bun'),
  ]
}

/** Bare Hono kept running beside the rows of its runtime: each measured slice of a row follows one of it. */
interface Pairing {
  target: Target
  /** The paired server's processes, for its CPU time around each of its slices. */
  pids: number[]
  stop: () => Promise<void>
  /** Starts (and warms up) another bare Hono whose health check does `spinUs` of busy work first; the caller stops it. */
  slowed: (spinUs: number) => Promise<{ target: Target; stop: () => Promise<void> }>
}

/** Starts `s` and loads it for the warm-up: its target and how to stop it. */
const startWarm = async (c: LoadCase, s: Server, name: string) => {
  const server = await launch(c.runtime, s, name)
  try {
    const target = c.target(server.port)
    await waitFor200(health(server.port).url, server.t0, { child: server.started.child })
    await load(gen, target, { connections, prefix: pin.load, tmpDir: tmp, durationSec: warmup })
    return { target, pid: server.started.pid, stop: () => stop(server.started) }
  } catch (err) {
    await stop(server.started)
    throw err
  }
}

const startPairing = async (c: LoadCase): Promise<Pairing | undefined> => {
  try {
    const name = `${c.id.replace(':', '-')}-paired`
    const paired = await startWarm(c, c.server, name)
    const slowed = (spinUs: number) => startWarm(c, { ...c.server, cmd: [...c.server.cmd, `--spin-us=${spinUs.toFixed(2)}`] }, `${name}-slowed`)
    return { target: paired.target, pids: processTree(paired.pid), stop: paired.stop, slowed }
  } catch (err) {
    progress(`${c.id}: paired baseline not available (${(err as Error).message.split('\n')[0]}); ratios come from separate rows`)
    return undefined
  }
}

/** The fixed rate is this share of the row's own best req/s: loaded, not saturated. */
const SAME_RATE_SHARE = 0.5
/** Seconds recorded per fixed-rate slice, after 0.5 s not recorded. */
const SAME_RATE_SEC = Math.max(1, sliceSec - 0.5)

/**
 * p99 "at the same load": the row and bare Hono each driven by the open-loop generator at the same req/s
 * (half the row's best), slice after slice like the throughput slices; with `slowed`, a bare Hono doing
 * the row's extra CPU per request as busy work runs between them (the yardstick in `FixedRate.slowed`).
 */
const runSameRate = async (t: Target, base: Target, rps: number, slowed?: { target: Target; spinUs: number }): Promise<NonNullable<Row['fixed']>> => {
  const rate = Math.max(1000, Math.round((rps * SAME_RATE_SHARE) / 1000) * 1000)
  const o = { driver: join(tmp, 'bare', 'open-loop.mjs'), rate, warmupSec: 0.5, durationSec: SAME_RATE_SEC, connections, prefix: pin.load }
  const mine: OpenLoopResult[] = []
  const theirs: OpenLoopResult[] = []
  const yard: OpenLoopResult[] = []
  for (let i = 0; i < SLICES; i++) {
    theirs.push(await fixedRate(base, o))
    if (slowed) yard.push(await fixedRate(slowed.target, o))
    mine.push(await fixedRate(t, o))
  }
  const at = (xs: OpenLoopResult[], k: 'p50Ms' | 'p99Ms') => median(xs.map((x) => x[k]))
  const over = (xs: OpenLoopResult[]) => median(mine.map((m, i) => m.p99Ms / xs[i]!.p99Ms))
  return {
    rate,
    p50Ms: at(mine, 'p50Ms'),
    p99Ms: at(mine, 'p99Ms'),
    baseP50Ms: at(theirs, 'p50Ms'),
    baseP99Ms: at(theirs, 'p99Ms'),
    pairedP99: over(theirs),
    ...(slowed && { slowed: { spinUs: slowed.spinUs, p99Ms: at(yard, 'p99Ms'), pairedP99: over(yard) } }),
    errors: [...mine, ...theirs, ...yard].reduce((n, x) => n + x.errors, 0),
  }
}

const runLoad = async (c: LoadCase, pairing?: Pairing): Promise<Row> => {
  const row: Row = { id: c.id, scenario: c.scenario, runtime: c.runtime, kind: 'load', baseline: c.baseline }
  let server
  try {
    server = await launch(c.runtime, c.server, c.id.replace(':', '-'))
    const t = c.target(server.port)
    await waitFor200(health(server.port).url, server.t0, { child: server.started.child })
    const first = await hit(t.url, t)
    if (!first.body.includes(c.expect)) throw new Error(`answered ${first.status} ${first.body.slice(0, 120)}`)
    if (c.flyer) {
      const missing = FLYER_HEADERS.filter((h) => !first.headers[h])
      if (missing.length) throw new Error(`missing ${missing.join(', ')}`)
    }
    const opts = { connections, prefix: pin.load, tmpDir: tmp }
    await load(gen, t, { ...opts, durationSec: warmup })
    const pids = processTree(server.started.pid)
    const cpu0 = treeCpuSec(pids)
    let best: LoadResult | undefined
    let requests = 0
    let errors = 0
    const paired: number[] = []
    const pairedP99: number[] = []
    /** CPU per request, µs: bare Hono's in its slice and the row's in the next, pair by pair. */
    const cpuPairs: { base: number; row: number }[] = []
    /** One slice against `target`, with the CPU time `tree` used per request meanwhile (when /proc tells). */
    const slice = async (target: Target, tree: number[]) => {
      const before = treeCpuSec(tree)
      const r = await load(gen, target, { ...opts, durationSec: sliceSec })
      const after = treeCpuSec(tree)
      return { r, cpuUs: before !== undefined && after !== undefined && r.requests ? ((after - before) * 1e6) / r.requests : undefined }
    }
    for (let i = 0; i < SLICES; i++) {
      // The baseline slice right before this one: both see the machine in the same state.
      const base = pairing && !c.baseline ? await slice(pairing.target, pairing.pids) : undefined
      const { r, cpuUs } = await slice(t, pids)
      requests += r.requests
      errors += r.errors
      if (!best || r.rps > best.rps) best = r
      if (base?.r.rps) paired.push(r.rps / base.r.rps)
      if (base?.r.p99Ms && r.p99Ms) pairedP99.push(r.p99Ms / base.r.p99Ms)
      if (base?.cpuUs && cpuUs) cpuPairs.push({ base: base.cpuUs, row: cpuUs })
    }
    const cpu1 = treeCpuSec(pids)
    Object.assign(row, best, { errors })
    if (paired.length) row.pairedRps = median(paired)
    if (pairedP99.length) row.pairedP99 = median(pairedP99)
    if (cpuPairs.length) row.pairedCpu = median(cpuPairs.map((p) => p.base / p.row))
    if (cpu0 !== undefined && cpu1 !== undefined && requests) row.cpuUs = ((cpu1 - cpu0) * 1e6) / requests
    row.rssMb = treeMb(processTree(server.started.pid), 'VmHWM')
    if (c.sameRate && pairing && best) {
      // The throughput figures stand even if the fixed-rate comparison cannot run.
      // The slowed yardstick burns what the row spends beyond bare Hono, a request.
      const spinUs = cpuPairs.length ? median(cpuPairs.map((p) => p.row - p.base)) : 0
      const slowed = spinUs > 0 ? await pairing.slowed(spinUs).catch((err: Error) => void progress(`${c.id}: slowed bare Hono not available (${err.message.split('\n')[0]})`)) : undefined
      try {
        row.fixed = await runSameRate(t, pairing.target, best.rps, slowed && { target: slowed.target, spinUs })
      } catch (err) {
        progress(`${c.id}: same-rate comparison failed (${(err as Error).message.split('\n')[0]})`)
      } finally {
        await slowed?.stop()
      }
    }
  } catch (err) {
    row.failed = (err as Error).message.split('\n')[0]
    const log = serverLog(c.id.replace(':', '-'))
    if (log) progress(`${c.id} server log:\n${log}`)
  } finally {
    if (server) await stop(server.started)
  }
  progress(`${c.id}: ${row.failed ? `failed (${row.failed})` : `${Math.round(row.rps ?? 0)} req/s`}`)
  return row
}

interface InProcessCase {
  id: string
  scenario: string
  runtime: Runtime
  target: 'bare' | 'flyer'
  method: 'GET' | 'POST'
  path: string
  body?: string
  accessLog?: boolean
  baseline?: boolean
}

/**
 * The same five rows on each runtime. Node's driver feeds node:http from memory (scripts/bench/servers/
 * in-process.ts); Bun's calls the app's fetch with Requests made in memory (in-process-bun.ts), so it
 * leaves out Bun.serve's own parsing and writing, and answers `requestIP()` without a system call.
 */
const inProcessCases = (): InProcessCase[] =>
  (['node', 'bun'] as const).flatMap((runtime) => [
    { id: `${runtime}:inproc-bare-hono`, scenario: 'bare Hono GET health_check', runtime, target: 'bare', method: 'GET', path: `${PREFIX}/health_check`, baseline: true },
    { id: `${runtime}:inproc-flyer-health-log-off`, scenario: 'Flyer GET health_check, access log off', runtime, target: 'flyer', method: 'GET', path: `${PREFIX}/health_check` },
    { id: `${runtime}:inproc-flyer-health-log-file`, scenario: 'Flyer GET health_check, access log to a file', runtime, target: 'flyer', method: 'GET', path: `${PREFIX}/health_check`, accessLog: true },
    { id: `${runtime}:inproc-bare-hono-post`, scenario: 'bare Hono POST reading the JSON body', runtime, target: 'bare', method: 'POST', path: `${PREFIX}/demo`, body: DEMO },
    { id: `${runtime}:inproc-flyer-demo`, scenario: 'Flyer POST demo (validation), access log on', runtime, target: 'flyer', method: 'POST', path: `${PREFIX}/demo`, body: DEMO, accessLog: true },
  ])

/** The in-process driver's command (runtime, driver and its arguments), environment and folder for a row (of the checkout `tree`). */
const inProcessRun = (c: InProcessCase, bareDir: string, tree = project) => {
  const runtime = runtimeCmd(c.runtime)
  if (!runtime) throw new Error('bun not found')
  // Node runs the driver as bundled with the other servers; Bun runs its TypeScript as is.
  const driver = c.runtime === 'node' ? join(bareDir, 'in-process.mjs') : join(here, 'bench/servers/in-process-bun.ts')
  return {
    runtime,
    env: c.target === 'flyer' ? { ...process.env, ...flyerServer(c.runtime, tree, Boolean(c.accessLog), `inproc-${c.id.replace(':', '-')}`).env } : process.env,
    args: [driver, c.target === 'bare' ? 'bare' : join(tree, 'dist'), c.method, c.path, c.body ?? '', String(Math.max(1, sliceSec))],
    cwd: c.runtime === 'node' ? bareDir : here,
  }
}

/** One run of the in-process driver, pinned like the servers: CPU µs per request and requests/s. */
const inProcessOnce = (c: InProcessCase, bareDir: string, profileDir?: string, tree = project): { cpuUs: number; rps: number } => {
  const { runtime, env, args, cwd } = inProcessRun(c, bareDir, tree)
  const [cmd, ...rest] = [...pin.server, ...runtime, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...args]
  const r = spawnSync(cmd!, rest, { cwd, env, encoding: 'utf8', timeout: 60_000 })
  const line = r.stdout.trim().split('\n').at(-1) ?? ''
  const got = JSON.parse(line || '{}') as { cpuUs?: number; rps?: number; failed?: string }
  if (r.status !== 0 || got.cpuUs === undefined || got.rps === undefined) throw new Error(`in-process run failed: ${(r.stderr || line).trim().split('\n').at(-1)}`)
  if (got.failed) throw new Error(got.failed)
  return { cpuUs: got.cpuUs, rps: got.rps }
}

/**
 * `runs` runs of a row, each right after a run of the bare-Hono baseline: the least CPU per request
 * (noise only adds) and, as the ratio, the median of baseline over row across the pairs.
 */
const runInProcess = (c: InProcessCase, bareDir: string, baseline: InProcessCase): Row => {
  const row: Row = { id: c.id, scenario: c.scenario, runtime: c.runtime, kind: 'inproc', baseline: c.baseline }
  const pairs: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const base = c.baseline ? undefined : inProcessOnce(baseline, bareDir)
      const got = inProcessOnce(c, bareDir)
      if (row.cpuUs === undefined || got.cpuUs < row.cpuUs) Object.assign(row, got)
      if (base) pairs.push(base.cpuUs / got.cpuUs)
    }
    if (pairs.length) row.pairedRps = median(pairs)
  } catch (err) {
    row.failed = (err as Error).message.split('\n')[0]
  }
  progress(`${c.id}: ${row.failed ? `failed (${row.failed})` : `${row.cpuUs!.toFixed(2)} µs/request`}`)
  return row
}

/** One more run of each in-process row under `--cpu-prof`, its profiles kept in `<dir>/<row>`. */
const profileInProcess = (cases: InProcessCase[], bareDir: string, dir: string): { scenario: string; file: string }[] => {
  const found: { scenario: string; file: string }[] = []
  for (const c of cases) {
    const into = join(dir, c.id.replace(':', '-'))
    rmSync(into, { recursive: true, force: true })
    try {
      inProcessOnce(c, bareDir, into)
      const file = mainThreadProfile(into)
      if (!file) throw new Error(`no main-thread profile in ${into}`)
      found.push({ scenario: rowName(c), file })
      progress(`${c.id}: profile in ${file}`)
    } catch (err) {
      progress(`${c.id}: profiling failed (${(err as Error).message.split('\n')[0]})`)
    }
  }
  return found
}

/** Each in-process row's instructions per request under callgrind (`--instructions`), one after another. */
const countInProcess = async (cases: InProcessCase[], bareDir: string): Promise<InstructionCount[]> => {
  const out: InstructionCount[] = []
  for (const c of cases) {
    progress(`${c.id}: counting instructions under callgrind (a few minutes)`)
    try {
      const { runtime, env, args, cwd } = inProcessRun(c, bareDir)
      // Not pinned: valgrind would count taskset, not the runtime it starts; the count does not depend on the CPU.
      // Bun: 100,000 requests before counting, 20,000 counted — after 20,000 its JIT was still compiling
      // in the counted window (counts of one build 27–50k a request; with these 27–29k).
      const sizes = c.runtime === 'bun' ? { warm: 100_000, n: 20_000 } : {}
      const perRequest = await instructionsPerRequest({ command: [...runtime, ...args], env, cwd, ...sizes })
      out.push({ scenario: c.scenario, runtime: c.runtime, baseline: c.baseline, perRequest })
      progress(`${c.id}: ${(perRequest / 1000).toFixed(1)}k instructions/request`)
    } catch (err) {
      const failed = (err as Error).message.split('\n')[0]
      out.push({ scenario: c.scenario, runtime: c.runtime, baseline: c.baseline, failed })
      progress(`${c.id}: counting failed (${failed})`)
    }
  }
  return out
}

/** Seconds a just-started worker is left without requests before its idle RSS is read. */
const SETTLE_S = 10

/** RSS of one worker: the children when the process forks workers, else the process itself. */
const workerRssMb = (pid: number) => {
  const tree = processTree(pid)
  const workers = tree.length > 1 ? tree.slice(1) : tree
  return Math.max(...workers.map((p) => statusMb(p, 'VmRSS') ?? 0)) || undefined
}

/** Runs of an empty process per figure: each is a few tens of ms. */
const EMPTY_RUNS = 10

/** A start-up row's figures: the median and the slowest of its runs. */
const setStartTimes = (row: Row, times: number[]) => {
  row.p50Ms = median(times)
  row.p99Ms = Math.max(...times)
}

const startProgress = (row: Row) => progress(`${row.id}: ${row.failed ? `failed (${row.failed})` : `${row.p50Ms!.toFixed(0)} ms`}`)

/**
 * What the runtime itself costs to start: an empty process (`node -e 0`), spawn to exit, pinned like the
 * servers; the median of EMPTY_RUNS. Flyer starts two (the primary and a worker). NODE_EXTRA_CA_CERTS,
 * when set, makes every Node process read and parse that file at start, so Node gets a second row
 * without it.
 */
const emptyProcess = (rt: Runtime): Row[] => {
  const once = (env: NodeJS.ProcessEnv) => {
    const runtime = runtimeCmd(rt)
    if (!runtime) throw new Error(`${rt} not found`)
    const [cmd, ...rest] = [...pin.server, ...runtime, '-e', '0']
    const t0 = performance.now()
    const r = spawnSync(cmd!, rest, { env, stdio: 'ignore', timeout: 10_000 })
    if (r.status !== 0) throw new Error(`${rt} -e 0 exited with ${r.status ?? r.signal}`)
    return performance.now() - t0
  }
  const row = (id: string, scenario: string, env: NodeJS.ProcessEnv): Row => {
    const out: Row = { id: `${rt}:${id}`, scenario, runtime: rt, kind: 'start' }
    try {
      setStartTimes(out, Array.from({ length: EMPTY_RUNS }, () => once(env)))
    } catch (err) {
      out.failed = (err as Error).message
    }
    startProgress(out)
    return out
  }
  const rows = [row('empty-process', `an empty process (\`${rt} -e 0\`), start to exit (median / slowest)`, process.env)]
  if (rt === 'node' && process.env.NODE_EXTRA_CA_CERTS) {
    const { NODE_EXTRA_CA_CERTS: _, ...without } = process.env
    rows.push(row('empty-process-no-extra-ca', 'the same without NODE_EXTRA_CA_CERTS (set on this machine)', without))
  }
  return rows
}

const runColdStart = async (rt: Runtime, id: string, scenario: string, server: Server, idleId?: string): Promise<Row[]> => {
  const row: Row = { id: `${rt}:${id}`, scenario, runtime: rt, kind: 'start' }
  const idle: Row | undefined = idleId ? { id: `${rt}:${idleId}-boot`, scenario: 'RSS per worker 1 s after start (demo app)', runtime: rt, kind: 'idle' } : undefined
  const settled: Row | undefined = idleId ? { id: `${rt}:${idleId}`, scenario: `idle RSS per worker, settled (demo app, ${SETTLE_S} s without requests)`, runtime: rt, kind: 'idle' } : undefined
  const times: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const running = await launch(rt, server, `${rt}-${id}`)
      try {
        times.push(await waitFor200(health(running.port).url, running.t0, { child: running.started.child }))
        row.rssMb = Math.max(row.rssMb ?? 0, workerRssMb(running.started.pid) ?? 0)
        if (idle && settled && i === 0) {
          await sleep(1000)
          idle.rssMb = workerRssMb(running.started.pid)
          // V8 gives the start-up garbage back once the heap has been quiet for a while (its memory
          // reducer, ~8 s): what an idle worker holds is the reading after that.
          await sleep((SETTLE_S - 1) * 1000)
          settled.rssMb = workerRssMb(running.started.pid)
        }
      } finally {
        await stop(running.started)
      }
    }
    setStartTimes(row, times)
  } catch (err) {
    row.failed = (err as Error).message.split('\n')[0]
    if (idle) idle.failed = row.failed
    if (settled) settled.failed = row.failed
    const log = serverLog(`${rt}-${id}`)
    if (log) progress(`${row.id} server log:\n${log}`)
  }
  startProgress(row)
  return idle && settled ? [row, idle, settled] : [row]
}

/**
 * How often the machine itself stops the server's CPU: a loop that only reads the clock, pinned like the
 * servers, for 2 s; every gap over 0.2 ms is time no server could have answered in. On a shared VM this
 * sets a floor under every p99.
 */
const SPIN = `const { performance } = require('node:perf_hooks'); const gaps = []; let last = performance.now(); const end = last + 2000
while (last < end) { const now = performance.now(); if (now - last > 0.2) gaps.push(now - last); last = now }
console.log(JSON.stringify({ stalls: gaps.length, longestMs: Math.max(0, ...gaps), stalledMs: gaps.reduce((a, b) => a + b, 0) }))`
const machineStalls = (): { stalls: number; longestMs: number; stalledMs: number } | undefined => {
  const [cmd, ...rest] = [...pin.server, process.execPath, '-e', SPIN]
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 10_000 })
  try {
    return JSON.parse(r.stdout)
  } catch {
    return undefined
  }
}

/** One cold start of the demo app of checkout `tree`, to its first 200 (ms). */
const coldStartOnce = async (rt: Runtime, tree: string): Promise<number> => {
  const running = await launch(rt, flyerServer(rt, tree, true, `${rt}-compare`, true), `${rt}-compare`)
  try {
    return await waitFor200(health(running.port).url, running.t0, { child: running.started.child })
  } finally {
    await stop(running.started)
  }
}

/** `--compare`: the in-process rows and the demo's cold starts, before and after, in alternating pairs. */
const compareMain = async (bareDir: string, load1: number) => {
  const tree = (side: Side) => (side === 'before' ? before! : project)
  const rows: Compared[] = []
  for (const c of inProcessCases()) {
    if (c.target !== 'flyer' || !wanted(c.id)) continue
    if (c.runtime === 'bun' && !bunBin) continue
    progress(`${c.id}: before / after`)
    rows.push(await compareRuns(`${c.scenario} (${runtimeName(c.runtime)}, in process, CPU per request)`, 'µs', runs, (side) => inProcessOnce(c, bareDir, undefined, tree(side)).cpuUs))
  }
  for (const rt of ['node', 'bun'] as const) {
    if (!wanted(`${rt}:cold-start-demo`) || !runtimeCmd(rt)) continue
    progress(`${rt}:cold-start-demo: before / after`)
    rows.push(await compareRuns(`cold start to first 200, demo app (${runtimeName(rt)})`, 'ms', runs, (side) => coldStartOnce(rt, tree(side))))
  }
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, Node ${process.version}, load average ${load1.toFixed(2)} at start, ${runs} pairs a row`
  console.log(`Machine: ${machine}\n`)
  console.log(compareTable(rows, { before: before!, after: project }))
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ machine, date: new Date().toISOString(), before, after: project, compared: rows }, null, 2)}\n`)
}

const main = async () => {
  const rows: Row[] = []
  const load1 = loadavg()[0]!
  if (!values['no-build']) {
    for (const tree of before ? [before, project] : [project]) {
      progress(`npm run build in ${tree}`)
      const b = spawnSync('npm', ['run', 'build'], { cwd: tree, encoding: 'utf8' })
      if (b.status !== 0) throw new Error(`npm run build failed in ${tree}:\n${b.stderr || b.stdout}`)
    }
  }
  const bareDir = join(tmp, 'bare')
  await build({
    entryPoints: [join(here, 'bench/servers/bare-node-http.ts'), join(here, 'bench/servers/bare-hono.ts'), join(here, 'bench/servers/in-process.ts'), join(here, 'bench/servers/open-loop.ts')],
    outdir: bareDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  })
  if (before) return compareMain(bareDir, load1)
  progress(`load generator: ${gen}${pin.load.length ? `, pinned: server ${pin.server.join(' ')}, load ${pin.load.join(' ')}` : ', not pinned (no taskset or one CPU)'}`)
  const cases = loadCases(bareDir)
  for (const rt of ['node', 'bun'] as const) {
    const mine = cases.filter((c) => c.runtime === rt && wanted(c.id))
    const baseline = cases.find((c) => c.runtime === rt && c.baseline)!
    const pairing = mine.some((c) => !c.baseline) && (rt === 'node' || bunBin) ? await startPairing(baseline) : undefined
    try {
      for (const c of mine) rows.push(await runLoad(c, pairing))
    } finally {
      await pairing?.stop()
    }
  }

  const inProcess = inProcessCases().filter((c) => c.runtime === 'node' || bunBin)
  const baselineOf = (c: InProcessCase) => inProcess.find((b) => b.baseline && b.runtime === c.runtime)!
  for (const c of inProcess) if (wanted(c.id)) rows.push(runInProcess(c, bareDir, baselineOf(c)))
  const profiles = values.profile ? profileInProcess(inProcess.filter((c) => wanted(c.id)), bareDir, resolve(values.profile)) : []
  // Counted with bare Hono's health check of the same runtime whenever a Flyer row is, as the timing rows
  // run their baseline: a count alone has nothing to be read against.
  const toCount = inProcess.filter((c) => wanted(c.id) || (c.baseline && inProcess.some((o) => !o.baseline && o.runtime === c.runtime && wanted(o.id))))
  const counts = values.instructions ? await countInProcess(toCount, bareDir) : []

  const manyDir = join(tmp, `routes-${routeCount}`)
  const needMany = ['node', 'bun'].some((rt) => wanted(`${rt}:cold-start-1000`))
  if (needMany) {
    progress(`generating ${routeCount} route files and building them in ${manyDir}`)
    makeManyRoutesProject(project, manyDir, routeCount)
  }
  for (const rt of ['node', 'bun'] as const) {
    if (wanted(`${rt}:empty-process`)) rows.push(...emptyProcess(rt))
    if (wanted(`${rt}:cold-start-bare`)) rows.push(...(await runColdStart(rt, 'cold-start-bare', 'cold start to first 200, bare Hono (median / slowest)', bareHono(rt, bareDir))))
    if (wanted(`${rt}:cold-start-demo`) || wanted(`${rt}:idle-rss`) || wanted(`${rt}:idle-rss-boot`)) rows.push(...(await runColdStart(rt, 'cold-start-demo', 'cold start to first 200, demo app (median / slowest)', flyerServer(rt, project, true, `${rt}-cold-start-demo`, true), 'idle-rss')))
    if (wanted(`${rt}:cold-start-1000`)) rows.push(...(await runColdStart(rt, 'cold-start-1000', `cold start to first 200, ${routeCount} route files (median / slowest)`, flyerServer(rt, manyDir, true, `${rt}-cold-start-1000`, true))))
  }

  const sameRate = rows.some((r) => r.fixed)
  const stalls = sameRate ? machineStalls() : undefined
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, Node ${process.version}${bunBin ? `, Bun ${spawnSync(bunBin, ['--version'], { encoding: 'utf8' }).stdout.trim()}` : ''}, ${gen}, ${connections} connections, best of ${SLICES}×${sliceSec} s after ${warmup} s warm-up, each slice right after one of bare Hono (ratios: median over those pairs), load average ${load1.toFixed(2)} at start`
  const results = checks(rows)
  console.log(`Machine: ${machine}\n`)
  console.log(table(rows.filter((r) => r.kind !== 'inproc')))
  if (sameRate) {
    console.log(`\nLatency at the same load (open loop: requests sent at a fixed rate, half the Flyer row's best req/s, whether or not earlier ones were answered; latency counted from when each was due; ${SLICES} slices of ${SAME_RATE_SEC} s after 0.5 s, each right after one of bare Hono and one of bare Hono slowed to the row's CPU per request by busy work in its handler, at the same rate; medians; the slowed one's extra µs a request in brackets):\n`)
    console.log(fixedRateTable(rows))
    if (stalls) console.log(`\nThe machine's own stalls: a clock-reading loop pinned like the servers stopped ${stalls.stalls} times for over 0.2 ms in 2 s (${stalls.stalledMs.toFixed(1)} ms in all, longest ${stalls.longestMs.toFixed(2)} ms): requests due then wait, whatever the server.`)
  }
  if (rows.some((r) => r.kind === 'inproc')) {
    console.log(`\nIn process (no sockets, no kernel, no load generator — Node: node:http fed from memory; Bun: the app's fetch called with Requests made in memory, without Bun.serve's own parsing and writing, requestIP() answered from memory; 64 connections; least CPU of ${runs} runs, each after a run of bare Hono on the same runtime; ratio: median over those pairs):\n`)
    console.log(inProcessTable(rows))
  }
  if (counts.length) {
    console.log(`\nInstructions per request in process (callgrind: counted over 10,000 requests after 20,000 uninstrumented, on Bun 20,000 after 100,000; steadier than timings here but not exact, so compare builds by several counts each; blind to cache misses and the kernel — a guide for code changes, not a throughput figure):\n`)
    console.log(instructionsTable(counts))
  }
  for (const p of profiles) console.log(`\nProfile, in process: ${p.scenario} (main thread, ${p.file}):\n\n${profileTable(p.file)}`)
  console.log('\nTargets:')
  for (const c of results) console.log(`  ${c.ok ? 'ok  ' : 'MISS'} ${c.what}: ${c.detail}`)
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ machine, stalls, date: new Date().toISOString(), project, rows, targets: results }, null, 2)}\n`)
}

try {
  await main()
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
