import { readFileSync } from 'node:fs'
import { Agent, get } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEntry } from './helpers/build.ts'
import { killAll, startFlyer, type Flyer } from './helpers/flyer.ts'
import { sleep } from './helpers/load.ts'

let quick: Flyer | undefined // flyer_timeout=1
let patient: Flyer | undefined // flyer_graceful_timeout=2, flyer_timeout=30

beforeAll(async () => {
  const { file } = await buildEntry('tests/runtime/fixtures/server.ts', 'shutdown')
  ;[quick, patient] = await Promise.all([
    startFlyer('node', [file], { flyer_timeout: '1', flyer_graceful_timeout: '5' }),
    startFlyer('node', [file], { flyer_timeout: '30', flyer_graceful_timeout: '2', flyer_keepalive: '5' }),
  ])
})

afterAll(() => {
  killAll(quick)
  killAll(patient)
})

const keepAliveGet = (agent: Agent, port: number, path: string) =>
  new Promise<{ status: number; connection: string | undefined; reused: boolean; body: string }>((ok, fail) => {
    const req = get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => ok({ status: res.statusCode!, connection: res.headers.connection, reused: req.reusedSocket, body }))
    })
    req.on('error', fail)
  })

/** Running, not a zombie waiting to be reaped (the container's PID 1 may never reap it). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('request timeout and graceful shutdown', { timeout: 60_000 }, () => {
  it('answers the envelope (code 50000) at flyer_timeout and aborts the handler signal', async () => {
    const f = quick!
    const t0 = Date.now()
    const res = await fetch(`http://127.0.0.1:${f.port}/test/slow?ms=10000`, { headers: { 'X-Request-ID': 'timeout-probe-1' } })
    const body = await res.json()
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(res.status).toBe(200)
    expect(body).toEqual({ code: 50000, msg: 'Request timed out after 1 s', logId: 'timeout-probe-1', clientIp: '127.0.0.1' })
    const aborted = await f.waitForLine((l) => l.msg === 'fixture: slow handler aborted' && l.logId === 'timeout-probe-1', 5000)
    expect(aborted.reason).toContain('timed out')
  })

  it('keeps serving a keep-alive connection while draining, with Connection: close, and cuts what is left at flyer_graceful_timeout', async () => {
    const f = patient!
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const first = await keepAliveGet(agent, f.port, '/flyer/v1/demo/a')
    expect(first.connection).toBe('keep-alive')
    const slow = fetch(`http://127.0.0.1:${f.port}/test/slow?ms=20000`).then(
      () => 'answered',
      () => 'cut',
    )
    await sleep(200)
    const signalled = Date.now()
    f.kill('SIGTERM')
    await sleep(300)
    // The same socket, after the signal: served, and told to close.
    const during = await keepAliveGet(agent, f.port, '/flyer/v1/demo/b')
    expect(during).toMatchObject({ status: 200, connection: 'close', reused: true })
    expect(JSON.parse(during.body)).toEqual({ code: 200, msg: 'Hello b!' })
    const exit = await f.exited
    expect(await slow).toBe('cut')
    expect(exit.code).toBe(0)
    expect(exit.at - signalled).toBeGreaterThanOrEqual(1900)
    expect(exit.at - signalled).toBeLessThan(2000 + 5000)
    expect(f.lines.some((l) => /graceful timeout passed: cut 1 /.test(l.msg ?? ''))).toBe(true)
    agent.destroy()
  })

  it('exits at once on a second signal, taking the workers with it', async () => {
    const f = quick!
    const workers = f.workerPids()
    // An idle keep-alive connection holds a graceful drain until its 5 s keep-alive timer ends.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    expect((await keepAliveGet(agent, f.port, '/health_check')).connection).toBe('keep-alive')
    f.kill('SIGTERM')
    await sleep(300)
    expect(f.proc.exitCode).toBeNull()
    const second = Date.now()
    f.kill('SIGINT')
    const exit = await f.exited
    agent.destroy()
    expect(exit.at - second).toBeLessThan(3000)
    expect(exit.code).toBe(1)
    await sleep(200)
    for (const pid of workers) expect(alive(pid)).toBe(false)
  })
})
