import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { type AccessRecord, accessLineBound, writeAccessLine } from '#lib/access-line.ts'
import { accessLog } from '#middleware/access-log.ts'
import { jsonInit, testApp } from '../helpers/app.ts'

const FIELDS = ['timeStamp', 'latency', 'clientIp', 'memoryUsage', 'logId', 'Url', 'method', 'status', 'code', 'msg', 'clientId', 'xForwardedFor', 'userAgent', 'body']

describe('accessLog', () => {
  it("writes one line per request with the original's fields", async () => {
    const { app, logs } = testApp()
    await app.request('/flyer/v1/health_check', { headers: { 'x-client-id': 'cmdb', 'user-agent': 'probe/1', 'x-forwarded-for': '10.1.2.3, 10.0.0.1' } })
    expect(logs.access).toHaveLength(1)
    const line = logs.access[0]!
    // In the order the line lists them: the file's line is encoded field by field in this order.
    expect(Object.keys(line)).toEqual(FIELDS)
    const bytes = Buffer.alloc(accessLineBound(line as unknown as AccessRecord)!)
    expect(bytes.subarray(0, writeAccessLine(bytes, 0, line as unknown as AccessRecord)).toString()).toBe(`${JSON.stringify(line)}\n`)
    expect(line).toMatchObject({ method: 'GET', status: 200, code: 200, msg: 'success', clientId: 'cmdb', userAgent: 'probe/1', clientIp: '10.1.2.3', xForwardedFor: '10.1.2.3, 10.0.0.1' })
    expect(line.Url).toBe('http://localhost/flyer/v1/health_check')
    expect(line.timeStamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(typeof line.memoryUsage).toBe('number')
  })

  it('logs the envelope code and message of a failure, and the body with secrets redacted', async () => {
    const { app, logs } = testApp()
    await app.request('/flyer/v1/demo', jsonInit({ msgContent: 7, password: 'hunter2', nested: { apiKey: 'k' } }))
    const line = logs.access[0]!
    expect(line.code).toBe(40000)
    expect(String(line.msg)).toContain('body.msgContent')
    expect(line.body).toBe('{"msgContent":7,"password":"[REDACTED]","nested":{"apiKey":"[REDACTED]"}}')
  })

  it('redacts secret query parameters and URL credentials, and leaves other URLs as they are', async () => {
    const { app, logs } = testApp()
    await app.request('/flyer/v1/demo/x?token=abc&page=2')
    await app.request('/flyer/v1/demo/plain')
    expect(logs.access[0]!.Url).toBe('http://localhost/flyer/v1/demo/x?token=[REDACTED]&page=2')
    expect(logs.access[1]!.Url).toBe('http://localhost/flyer/v1/demo/plain')
  })

  it('formats timeStamp from the clock it is given, and latency in ms from its timer', async () => {
    const lines: AccessRecord[] = []
    let wall = Date.UTC(2026, 0, 2, 3, 4, 5, 678)
    let t = 50
    const app = new Hono()
      .use(accessLog({ sink: { info: (r) => void lines.push(r) }, clock: () => wall, now: () => t }))
      .get('/', (c) => {
        t += 1.25
        return c.text('ok')
      })
    await app.request('/')
    await app.request('/')
    wall += 1
    await app.request('/')
    expect(lines.map((l) => l.timeStamp)).toEqual(['2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.679Z'])
    expect(lines[0]!.latency).toBe(1.25)
  })

  it('never reads a body the app did not read', async () => {
    const lines: AccessRecord[] = []
    const app = new Hono().use(accessLog({ sink: { info: (r) => void lines.push(r) } })).post('/', (c) => c.text('ignored'))
    const res = await app.request('/', { method: 'POST', body: 'x'.repeat(100) })
    expect(await res.text()).toBe('ignored')
    expect(lines[0]!.body).toBeUndefined()
  })

  it('clips long headers', async () => {
    const { app, logs } = testApp()
    await app.request('/flyer/v1/health_check', { headers: { 'user-agent': 'u'.repeat(600) } })
    expect(logs.access[0]!.userAgent).toBe(`${'u'.repeat(512)}…`)
  })
})
