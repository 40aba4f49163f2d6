import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startProcess, waitFor200 } from '../helpers/server.ts'

describe('npm start end to end', () => {
  let port: number
  let server: ReturnType<typeof startProcess>
  const logDir = mkdtempSync(join(tmpdir(), 'flyer-e2e-'))

  beforeAll(async () => {
    port = await freePort()
    server = startProcess('npm', ['start', '--silent'], { flyer_port: String(port), flyer_host: '127.0.0.1', flyer_workers: '1', flyer_log_dir: logDir })
    await waitFor200(`http://127.0.0.1:${port}/health_check`, 60_000, server.proc)
  }, 90_000)

  afterAll(async () => {
    await server?.stop()
  })

  it('serves the health check with the contract headers over a real socket', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/flyer/v1/health_check`, { headers: { 'x-request-id': 'probe-1' } })
    expect(await res.text()).toBe('{"msg":"success","code":200}')
    expect(res.headers.get('x-request-id')).toBe('probe-1')
    expect(res.headers.get('x-lasting-time')).toMatch(/^\d+$/)
    expect(res.headers.get('x-memory-usage')).toMatch(/MB$/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('serves the demo, with the peer address as clientIp in errors', async () => {
    const ok = await fetch(`http://127.0.0.1:${port}/flyer/v1/demo`, { method: 'POST', body: new TextEncoder().encode('{"msgContent":"Flyer"}') })
    expect(await ok.json()).toEqual({ code: 200, msg: 'Hello Flyer!' })
    const bad = await fetch(`http://127.0.0.1:${port}/flyer/v1/demo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(await bad.json()).toMatchObject({ code: 40000, clientIp: expect.stringMatching(/127\.0\.0\.1/) })
  })

  it('serves the docs and their assets', async () => {
    for (const path of ['/flyer/v1/docs', '/flyer/v1/redoc', '/flyer/v1/openapi.json', '/flyer/static/vendor/swagger-ui/swagger-ui-bundle.js']) {
      expect((await fetch(`http://127.0.0.1:${port}${path}`)).status).toBe(200)
    }
  })

  it('writes one access-log line per request to stdout', async () => {
    await fetch(`http://127.0.0.1:${port}/flyer/v1/demo/e2e-marker`)
    await new Promise((r) => setTimeout(r, 1500))
    const line = server
      .output()
      .split('\n')
      .find((l) => l.includes('e2e-marker'))
    expect(line).toBeDefined()
    expect(JSON.parse(line!)).toMatchObject({ method: 'GET', status: 200, code: 200 })
  })
})

describe('start-up with a bad variable', () => {
  it('exits non-zero naming the variable, the value and what is expected', async () => {
    const p = startProcess('node', ['--import', 'tsx', 'server.ts'], { flyer_port: 'not-a-port' })
    const code = await p.exited
    expect(code).not.toBe(0)
    expect(p.output()).toMatch(/flyer_port="not-a-port": expected a whole number/)
  })
})
