/** Pure parts of the benchmark: result rows, ratios, the table and the target checks. */

export type Runtime = 'node' | 'bun'

export interface Row {
  /** Stable id, e.g. `node:flyer-health-log-off`; targets look rows up by it. */
  id: string
  scenario: string
  runtime: Runtime
  kind: 'load' | 'start' | 'idle' | 'inproc'
  /** The bare-Hono row every other load row of this runtime is compared with. */
  baseline?: boolean
  rps?: number
  /** For `start` rows: the median time to the first 200 (ms). */
  p50Ms?: number
  /** For `start` rows: the slowest of the runs (ms). */
  p99Ms?: number
  /**
   * Server CPU time (all its processes) per request, in µs: unlike req/s it does not move when other
   * processes on the machine slow the load generator down.
   */
  cpuUs?: number
  /** Peak RSS during the run (load), RSS at the first 200 (start), RSS after idling (idle), in MiB. */
  rssMb?: number
  errors?: number
  /**
   * req/s over bare Hono's, measured in pairs: each slice of this row right after a slice of bare Hono
   * (running beside it on the same CPU); the median over the pairs. Steadier than comparing rows
   * measured minutes apart on a shared machine.
   */
  pairedRps?: number
  /** p99 over bare Hono's, the same way. */
  pairedP99?: number
  /** Bare Hono's CPU time per request over this row's, the same way (each from its own server's processes). */
  pairedCpu?: number
  /** Latency at a fixed request rate, beside bare Hono at the same rate (load rows of the targets). */
  fixed?: FixedRate
  /** Why a row has no figures (server failed, runtime missing, wrong answer). */
  failed?: string
}

/**
 * The open-loop comparison "at the same load": this row and bare Hono each driven at `rate` req/s, slice
 * after slice; latencies are the medians over the slices, `pairedP99` the median of the per-pair ratios.
 */
export interface FixedRate {
  rate: number
  p50Ms: number
  p99Ms: number
  baseP50Ms: number
  baseP99Ms: number
  pairedP99: number
  /**
   * Bare Hono slowed to the row's CPU per request (`spinUs` of busy work a request, bare-app.ts), at the
   * same rate, slice after slice: its p99 and the median of the row's p99 over it, pair by pair. A
   * slower server has longer queues to clear after each of the machine's stalls; against this yardstick
   * that share of the row's p99 cancels, and what is left is latency the row adds of its own.
   */
  slowed?: { spinUs: number; p99Ms: number; pairedP99: number }
  /** Unanswered or failed requests, over all slices of every server. */
  errors: number
}

export interface Ratios {
  rps?: number
  p99?: number
  /** Bare Hono's CPU per request over this row's: the req/s ratio the row would have on an idle machine. */
  cpu?: number
}

/**
 * req/s, p99 and CPU time per request of a load row relative to bare Hono of the same runtime: the paired
 * slices when the row has them, else the bare-Hono row.
 */
export const ratios = (row: Row, rows: readonly Row[]): Ratios => {
  const base = rows.find((r) => r.baseline && r.runtime === row.runtime && r.rps)
  if (row.kind !== 'load' || !row.rps) return {}
  return {
    rps: row.pairedRps ?? (base ? row.rps / base.rps! : undefined),
    p99: row.pairedP99 ?? (row.p99Ms && base?.p99Ms ? row.p99Ms / base.p99Ms : undefined),
    cpu: row.pairedCpu ?? (row.cpuUs && base?.cpuUs ? base.cpuUs / row.cpuUs : undefined),
  }
}

const fixed = (v: number | undefined, digits: number, unit = '') => (v === undefined ? '—' : `${v.toFixed(digits)}${unit}`)
const ms = (v: number | undefined) => (v === undefined ? '—' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`)
const ratio = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}×`)

export const HEADER = ['scenario', 'req/s', 'p50', 'p99', 'CPU/req', 'peak RSS', 'req/s vs bare Hono', 'p99 vs bare Hono'] as const

/** Columns padded to their widest cell, so the table reads in a terminal and pastes into Markdown. */
export const markdownTable = (header: readonly string[], body: readonly string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cs: readonly string[]) => `| ${cs.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n')
}

/** `Node` or `Bun`, as row names show the runtime. */
export const runtimeName = (rt: Runtime): string => (rt === 'node' ? 'Node' : 'Bun')
/** A row's scenario with its runtime, as every table (and profile heading) names it. */
export const rowName = (row: Pick<Row, 'scenario' | 'runtime'>) => `${row.scenario} (${runtimeName(row.runtime)})`
/** A count or rate, rounded and grouped: `12,345`. */
const whole = (v: number) => Math.round(v).toLocaleString('en-US')

/** One row of cells, as printed. */
export const cells = (row: Row, rows: readonly Row[]): string[] => {
  const name = rowName(row)
  if (row.failed) return [name, `failed: ${row.failed}`, '', '', '', '', '', '']
  const r = ratios(row, rows)
  return [
    name,
    row.rps === undefined ? '—' : whole(row.rps) + (row.errors ? ` (${row.errors} errors)` : ''),
    ms(row.p50Ms),
    ms(row.p99Ms),
    fixed(row.cpuUs, 1, ' µs'),
    fixed(row.rssMb, 0, ' MB'),
    row.baseline ? '1.00× (baseline)' : ratio(r.rps),
    row.baseline ? '1.00×' : ratio(r.p99),
  ]
}

/** A Markdown table (pastes into the README as is). */
export const table = (rows: readonly Row[]): string => {
  return markdownTable(HEADER, rows.map((r) => cells(r, rows)))
}

/**
 * The in-process rows: CPU per request with the network left out, and bare Hono's health check on the
 * same runtime over each row's (what the row's req/s would be next to bare Hono's if the kernel and the
 * runtime's own server cost nothing).
 */
export const inProcessTable = (rows: readonly Row[]): string => {
  const mine = rows.filter((r) => r.kind === 'inproc')
  const header = ['scenario (in process)', 'CPU/req', 'vs bare Hono health_check'] as const
  const body = mine.map((r) => {
    if (r.failed) return [rowName(r), `failed: ${r.failed}`, '']
    const base = mine.find((b) => b.baseline && b.runtime === r.runtime && b.cpuUs)
    return [rowName(r), fixed(r.cpuUs, 2, ' µs'), r.baseline ? '1.00× (baseline)' : ratio(r.pairedRps ?? (base?.cpuUs && r.cpuUs ? base.cpuUs / r.cpuUs : undefined))]
  })
  return markdownTable(header, body)
}

/** One in-process row's count under callgrind (`--instructions`). */
export interface InstructionCount {
  scenario: string
  runtime: Runtime
  baseline?: boolean
  perRequest?: number
  failed?: string
}

/** Instructions per request of the in-process rows, each as a ratio of bare Hono's health check on its runtime. */
export const instructionsTable = (counts: readonly InstructionCount[]): string => {
  const header = ['scenario (in process)', 'instructions/req', 'vs bare Hono health_check'] as const
  const body = counts.map((r) => {
    const name = rowName(r)
    if (r.failed || r.perRequest === undefined) return [name, `failed: ${r.failed ?? 'no count'}`, '']
    const base = counts.find((b) => b.baseline && b.runtime === r.runtime && b.perRequest)?.perRequest
    return [name, `${(r.perRequest / 1000).toFixed(1)}k`, r.baseline ? '1.00× (baseline)' : ratio(base ? base / r.perRequest : undefined)]
  })
  return markdownTable(header, body)
}

/** The fixed-rate rows: p50/p99 of each next to bare Hono's at the same req/s. */
export const fixedRateTable = (rows: readonly Row[]): string => {
  const header = ['scenario (open loop, same req/s)', 'req/s', 'p50', 'p99', 'bare Hono p50', 'bare Hono p99', 'p99 vs bare Hono', 'slowed bare Hono (busy work) p99', 'p99 vs slowed'] as const
  const body = rows
    .filter((r) => r.fixed)
    .map((r) => {
      const f = r.fixed!
      const s = f.slowed
      return [
        rowName(r),
        whole(f.rate) + (f.errors ? ` (${f.errors} errors)` : ''),
        ms(f.p50Ms),
        ms(f.p99Ms),
        ms(f.baseP50Ms),
        ms(f.baseP99Ms),
        ratio(f.pairedP99),
        s ? `${ms(s.p99Ms)} (+${s.spinUs.toFixed(1)} µs)` : '—',
        s ? ratio(s.pairedP99) : '—',
      ]
    })
  return markdownTable(header, body)
}

export interface Check {
  what: string
  ok: boolean
  detail: string
}

/** The targets, each checked against this run's rows (rows not run are left out). */
export const checks = (rows: readonly Row[]): Check[] => {
  const out: Check[] = []
  const get = (id: string) => rows.find((r) => r.id === id && !r.failed)
  for (const rt of ['node', 'bun'] as const) {
    // What the header contract alone costs (bare Hono setting the four headers after `await next()`),
    // read beside the health-check targets: on Bun it is about the floor those rows can reach.
    const contract = get(`${rt}:bare-hono-contract`)
    const contractRps = contract && ratios(contract, rows).rps
    const besideContract = contractRps === undefined ? '' : ` (this run: bare Hono with only the contract headers, set after await next(), ${(contractRps * 100).toFixed(0)}%)`
    const ratioTarget = (id: string, min: number, what: string, beside = '') => {
      const row = get(`${rt}:${id}`)
      const r = row && ratios(row, rows)
      if (r?.rps !== undefined) {
        const cpu = r.cpu === undefined ? '' : ` (by CPU per request: ${(r.cpu * 100).toFixed(0)}%)`
        out.push({ what: `${rt}: ${what} ≥ ${min * 100}% of bare Hono`, ok: r.rps >= min, detail: `${(r.rps * 100).toFixed(0)}%${cpu}${beside}` })
      }
      // p99 "at the same load": the fixed-rate comparison when it ran; the closed loop (same connections,
      // so the slower server also runs at a lower rate) otherwise.
      const f = row?.fixed
      if (f) {
        const slowed = f.slowed ? ` (this run: ${f.slowed.pairedP99.toFixed(2)}× a bare Hono slowed to its CPU per request, +${f.slowed.spinUs.toFixed(1)} µs of busy work)` : ''
        out.push({ what: `${rt}: ${what} p99 at the same req/s ≤ 1.5× bare Hono`, ok: f.pairedP99 <= 1.5, detail: `${f.pairedP99.toFixed(2)}× (${ms(f.p99Ms)} vs ${ms(f.baseP99Ms)} at ${whole(f.rate)} req/s)${slowed}` })
      }
      else if (r?.p99 !== undefined) out.push({ what: `${rt}: ${what} p99 (same connections) ≤ 1.5× bare Hono`, ok: r.p99 <= 1.5, detail: `${r.p99.toFixed(2)}×` })
    }
    ratioTarget('flyer-health-log-off', 0.85, 'health_check, access log off', besideContract)
    ratioTarget('flyer-health-log-file', 0.7, 'health_check, access log on', besideContract)
    ratioTarget('flyer-demo', 0.6, 'POST demo, access log on')
    const within = (id: string, max: number, what: string, value: (r: Row) => number | undefined, unit: string, beside = '') => {
      const row = get(`${rt}:${id}`)
      const v = row && value(row)
      if (v !== undefined) out.push({ what: `${rt}: ${what} ≤ ${max} ${unit}`, ok: v <= max, detail: `${v.toFixed(0)} ${unit}${beside}` })
    }
    // Start-up read against the same run's baselines: the machine's speed moves all three alike.
    const bases = [
      [get(`${rt}:cold-start-bare`), 'bare Hono'],
      [get(`${rt}:empty-process`), 'an empty process'],
      [get(`${rt}:empty-process-no-extra-ca`), 'without NODE_EXTRA_CA_CERTS'],
    ] as const
    const startBases = bases.flatMap(([r, name]) => (r?.p50Ms === undefined ? [] : [`${name} ${r.p50Ms.toFixed(0)} ms`]))
    const beside = startBases.length ? ` (this run: ${startBases.join(', ')})` : ''
    within('cold-start-demo', 300, 'cold start, demo app', (r) => r.p50Ms, 'ms', beside)
    within('cold-start-1000', 1500, 'cold start, 1000 route files', (r) => r.p50Ms, 'ms', beside)
    within('idle-rss', 60, 'idle RSS per worker (settled)', (r) => r.rssMb, 'MB')
  }
  return out
}

export const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
