import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { killAll, startFlyer, type Flyer } from './helpers/flyer.ts'
import { reloadUnderLoad } from './helpers/signals.ts'
import { report } from './helpers/report.ts'

// Who accepts connections: with one worker the worker itself (node:cluster SCHED_NONE: no hand-over
// through the primary, whose delay showed in p99), with several the primary, round-robin (balance).

/** PIDs among `pids` holding the socket that listens on `port` (read from /proc, Linux). */
const listeners = (port: number, pids: number[]): number[] => {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      // local_address is ADDR:PORT, st 0A is LISTEN, inode is the 10th column.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]!)
    }
  }
  return pids.filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
          return m !== null && inodes.has(m[1]!)
        } catch {
          return false
        }
      })
    } catch {
      return false
    }
  })
}

const linux = process.platform === 'linux'
let file = ''
const started: Flyer[] = []

beforeAll(async () => {
  ;({ file } = await buildEntry('tests/runtime/fixtures/server.ts', 'accept'))
})

afterAll(() => started.forEach(killAll))

describe.skipIf(!linux)('who accepts connections', { timeout: 60_000 }, () => {
  it('one worker accepts them itself, and a SIGHUP reload under load still loses no request', async () => {
    const f = await startFlyer('node', [file], { flyer_graceful_timeout: '5', flyer_keepalive: '2' }, { workers: 1 })
    started.push(f)
    const [worker] = f.workerPids()
    expect(listeners(f.port, [f.proc.pid!, worker!])).toContain(worker)

    const { stats, from } = await reloadUnderLoad(f, { paths: ['/test/pid', '/flyer/v1/demo/x', '/test/slow?ms=100'], concurrency: 8, closeLoops: 3 })
    report('SIGHUP reload of 1 worker accepting its own connections, under load', stats, { restarts: 1 })
    expect(stats.failed).toBe(0)
    expect(stats.ok).toBeGreaterThan(100)
    // The old worker may still be draining when the reload is reported finished.
    await f.waitForLine((l) => l.worker === worker && /exited \(code 0\)/.test(l.msg ?? ''), 15_000, from)
    const [next] = f.workerPids()
    expect(next).not.toBe(worker)
    expect(listeners(f.port, [f.proc.pid!, next!])).toContain(next)
  })

  it('with several workers the primary accepts and hands connections out round-robin', async () => {
    const f = await startFlyer('node', [file], {}, { workers: 2 })
    started.push(f)
    const holders = listeners(f.port, [f.proc.pid!, ...f.workerPids()])
    expect(holders).toEqual([f.proc.pid])
  })
})
