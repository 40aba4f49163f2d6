import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { OpenLoopOptions, OpenLoopResult } from './open-loop.ts'

/** One request shape the load generator repeats. */
export interface Target {
  url: string
  method: 'GET' | 'POST'
  body?: string
  headers?: Record<string, string>
}

export interface LoadResult {
  rps: number
  /** Requests completed in the run. */
  requests: number
  p50Ms: number
  p99Ms: number
  /** Socket errors, timeouts and non-2xx/3xx answers. */
  errors: number
}

export interface LoadOptions {
  connections: number
  durationSec: number
  /** `taskset -c N` or empty. */
  prefix: string[]
  tmpDir: string
}

export type Generator = 'wrk' | 'autocannon'

export const pickGenerator = (): Generator => (spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error ? 'autocannon' : 'wrk')

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

/** `"7.43ms"` → 7.43, `"512.00us"` → 0.512, `"1.02s"` → 1020. */
export const wrkDurationMs = (text: string): number => {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim())
  if (!m) throw new Error(`not a wrk duration: ${text}`)
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

/** Reads requests/s, p50, p99 and error counts from `wrk --latency` output. */
export const parseWrk = (out: string): LoadResult => {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  const total = /(\d+) requests in/.exec(out)
  const p50 = /^\s*50%\s+(\S+)/m.exec(out)
  const p99 = /^\s*99%\s+(\S+)/m.exec(out)
  if (!rps || !total || !p50 || !p99) throw new Error(`unexpected wrk output:\n${out}`)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
  const errors = (socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0)
  return { rps: Number(rps[1]), requests: Number(total[1]), p50Ms: wrkDurationMs(p50[1]!), p99Ms: wrkDurationMs(p99[1]!), errors }
}

/** Reads the same figures from `autocannon --json` output. */
export const parseAutocannon = (out: string): LoadResult => {
  const r = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; timeouts: number; non2xx: number }
  return { rps: r.requests.average, requests: r.requests.total, p50Ms: r.latency.p50, p99Ms: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx }
}

/** A wrk Lua script for a POST (wrk has no flags for method or body). */
export const wrkScript = (t: Target): string =>
  [
    `wrk.method = ${JSON.stringify(t.method)}`,
    ...(t.body === undefined ? [] : [`wrk.body = ${JSON.stringify(t.body)}`]),
    ...Object.entries(t.headers ?? {}).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
    '',
  ].join('\n')

const run = (cmd: string[]) =>
  new Promise<string>((ok, fail) => {
    const [bin, ...args] = cmd
    const child = spawn(bin!, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    child.on('error', fail)
    child.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`${cmd.join(' ')} exited ${code}: ${err || out}`))))
  })

/** Drives `target` for `durationSec` with `connections` keep-alive connections; one load thread. */
export const load = async (gen: Generator, t: Target, o: LoadOptions): Promise<LoadResult> => {
  if (gen === 'wrk') {
    const args = ['wrk', '-t1', `-c${o.connections}`, `-d${o.durationSec}s`, '--latency', '--timeout', '5s']
    if (t.method !== 'GET' || t.body !== undefined || t.headers) {
      const script = join(o.tmpDir, `wrk-${t.method}-${Buffer.from(t.body ?? '').toString('hex').slice(0, 32)}.lua`)
      writeFileSync(script, wrkScript(t))
      args.push('-s', script)
    }
    return parseWrk(await run([...o.prefix, ...args, t.url]))
  }
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js')
  const args = [process.execPath, bin, '-j', '-c', String(o.connections), '-d', String(o.durationSec), '-m', t.method]
  if (t.body !== undefined) args.push('-b', t.body)
  for (const [k, v] of Object.entries(t.headers ?? {})) args.push('-H', `${k}=${v}`)
  return parseAutocannon(await run([...o.prefix, ...args, t.url]))
}

export interface FixedRateOptions {
  /** The built `open-loop.mjs` driver (scripts/bench/servers/open-loop.ts). */
  driver: string
  rate: number
  warmupSec: number
  durationSec: number
  connections: number
  prefix: string[]
}

/** Drives `target` at a fixed rate with the open-loop generator (scripts/bench/open-loop.ts), in a process of its own. */
export const fixedRate = async (t: Target, o: FixedRateOptions): Promise<OpenLoopResult> => {
  const url = new URL(t.url)
  const options: OpenLoopOptions = {
    host: url.hostname,
    port: Number(url.port),
    method: t.method,
    path: url.pathname + url.search,
    body: t.body,
    headers: t.headers,
    rate: o.rate,
    warmupSec: o.warmupSec,
    durationSec: o.durationSec,
    connections: o.connections,
  }
  return JSON.parse(await run([...o.prefix, process.execPath, o.driver, JSON.stringify(options)])) as OpenLoopResult
}
