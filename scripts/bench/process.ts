import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { openSync, readFileSync, readdirSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { availableParallelism } from 'node:os'

/** CPUs for the server and the load generator, when `taskset` exists and there are two or more. */
export interface Pinning {
  server: string[]
  load: string[]
}

export const pinning = (): Pinning => {
  const ok = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0
  const cpus = availableParallelism()
  if (!ok || cpus < 2) return { server: [], load: [] }
  return { server: ['taskset', '-c', String(cpus - 1)], load: ['taskset', '-c', '0'] }
}

/** A free loopback port (listen on 0, read it, close). */
export const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })

export interface Started {
  child: ChildProcess
  pid: number
}

/** Spawns `cmd`, pinned by `prefix` (taskset execs, so the PID is the server's), output to `logFile`. */
export const start = (prefix: string[], cmd: string[], { cwd, env, logFile }: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Started => {
  const [bin, ...args] = [...prefix, ...cmd]
  const out = openSync(logFile, 'a')
  const child = spawn(bin!, args, { cwd, env, stdio: ['ignore', out, out] })
  if (child.pid === undefined) throw new Error(`could not start ${cmd.join(' ')}`)
  return { child, pid: child.pid }
}

/** One GET or POST; resolves with status and body, or rejects (refused, reset). */
export const hit = (url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((ok, fail) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', fail)
    })
    req.on('error', fail)
    req.setTimeout(2000, () => req.destroy(new Error('timeout')))
    req.end(init.body)
  })

/** Polls `url` until it answers 200; returns the ms from `since` (a performance.now() value). */
export const waitFor200 = async (url: string, since: number, { timeoutMs = 30_000, child }: { timeoutMs?: number; child?: ChildProcess } = {}): Promise<number> => {
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before answering ${url}`)
    try {
      const res = await hit(url)
      if (res.status === 200) return performance.now() - since
    } catch {
      // not listening yet
    }
    if (performance.now() - since > timeoutMs) throw new Error(`no 200 from ${url} within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

/** PIDs of `pid` and all its descendants (Linux /proc; just `pid` elsewhere). */
export const processTree = (pid: number): number[] => {
  let parents: Map<number, number[]>
  try {
    parents = new Map()
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        const list = parents.get(ppid) ?? []
        list.push(Number(name))
        parents.set(ppid, list)
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return [pid]
  }
  const out: number[] = []
  const queue = [pid]
  while (queue.length) {
    const p = queue.shift()!
    out.push(p)
    queue.push(...(parents.get(p) ?? []))
  }
  return out
}

/** A field of /proc/<pid>/status in MiB (VmRSS: now, VmHWM: peak), or undefined off Linux. */
export const statusMb = (pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined => {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}

/** Sum of a memory field over a process tree (a cluster primary and its workers). */
export const treeMb = (pids: number[], field: 'VmRSS' | 'VmHWM'): number | undefined => {
  const values = pids.map((p) => statusMb(p, field)).filter((v): v is number => v !== undefined)
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined
}

/** Stops a server by its PID (SIGTERM, then SIGKILL after `graceMs`), and any descendants it left. */
export const stop = async ({ child, pid }: Started, graceMs = 3000): Promise<void> => {
  const tree = processTree(pid)
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((done) => child.once('exit', () => done()))
    process.kill(pid, 'SIGTERM')
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    }, graceMs)
    await exited
    clearTimeout(timer)
  }
  for (const p of tree.slice(1)) {
    try {
      process.kill(p, 0)
      process.kill(p, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

let ticksPerSec: number | undefined

/** CPU seconds (user + system) used so far by a process tree, from /proc; undefined off Linux. */
export const treeCpuSec = (pids: number[]): number | undefined => {
  ticksPerSec ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100
  let ticks = 0
  let seen = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the ") " that ends the name.
      ticks += Number(fields[11]) + Number(fields[12])
      seen++
    } catch {
      // exited
    }
  }
  return seen ? ticks / ticksPerSec : undefined
}
