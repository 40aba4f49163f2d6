import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from '../../helpers/server.ts'

export { freePort }

export type LogLine = Record<string, unknown> & { msg?: string; pid?: number; worker?: number }

export interface Flyer {
  proc: ChildProcess
  port: number
  /** Every stdout line that parsed as JSON, in order. */
  lines: LogLine[]
  output: () => string
  /** Resolves with the first line matching, or fails after `timeoutMs` with the output so far. */
  waitForLine: (match: (l: LogLine) => boolean, timeoutMs?: number, from?: number) => Promise<LogLine>
  /** PIDs of the workers currently listening, from the primary's log. */
  workerPids: () => number[]
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
  kill: (signal?: NodeJS.Signals) => void
}

/**
 * Starts a Flyer process (`cmd args`) on a free loopback port with `env`, and waits until `workers`
 * workers listen.
 */
export const startFlyer = async (cmd: string, args: string[], env: Record<string, string>, { workers = 1, port }: { workers?: number; port?: number } = {}): Promise<Flyer> => {
  const p = port ?? (await freePort())
  const proc = spawn(cmd, args, {
    env: { ...process.env, NODE_ENV: 'production', flyer_host: '127.0.0.1', flyer_port: String(p), flyer_workers: String(workers), flyer_log_file: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  let partial = ''
  const lines: LogLine[] = []
  const waiters = new Set<() => void>()
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    output += d
    const parts = (partial + d).split('\n')
    partial = parts.pop()!
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part))
      } catch {
        lines.push({ msg: `(not JSON) ${part}` })
      }
    }
    for (const w of waiters) w()
  })
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((ok) =>
    proc.once('exit', (code, signal) => {
      for (const w of waiters) w()
      ok({ code, signal, at: Date.now() })
    }),
  )
  const waitForLine = (match: (l: LogLine) => boolean, timeoutMs = 20_000, from = 0) =>
    new Promise<LogLine>((ok, fail) => {
      const check = () => {
        const found = lines.slice(from).find(match)
        if (found) {
          waiters.delete(check)
          clearTimeout(timer)
          ok(found)
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          waiters.delete(check)
          clearTimeout(timer)
          fail(new Error(`process exited before the expected log line; output:\n${output.slice(-4000)}`))
        }
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        fail(new Error(`no matching log line within ${timeoutMs} ms; output:\n${output.slice(-4000)}`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  const workerPids = () => {
    const live = new Set<number>()
    for (const l of lines) {
      if (l.pid !== proc.pid || typeof l.worker !== 'number') continue
      if (/ listening/.test(l.msg ?? '')) live.add(l.worker)
      if (/ (exited|died)/.test(l.msg ?? '')) live.delete(l.worker)
    }
    return [...live]
  }
  const flyer: Flyer = {
    proc,
    port: p,
    lines,
    output: () => output,
    waitForLine,
    workerPids,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
    },
  }
  await waitForLine((l) => l.pid === proc.pid && /^Flyer listening/.test(l.msg ?? ''), 30_000)
  const deadline = Date.now() + 30_000
  while (flyer.workerPids().length < workers && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return flyer
}

/** Stops a Flyer left running by a failed test: SIGKILL the primary and its workers. */
export const killAll = (flyer: Flyer | undefined): void => {
  if (!flyer) return
  for (const pid of flyer.workerPids()) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
  flyer.kill('SIGKILL')
}
