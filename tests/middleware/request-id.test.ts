import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { requestId } from '#middleware/request-id.ts'
import { jsonInit, testApp } from '../helpers/app.ts'
import { serveOnNode } from '../helpers/node-server.ts'
import { rawRequest } from '../helpers/raw-http.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('requestId (in-process: set on the finished response)', () => {
  it('reuses a valid incoming X-Request-ID', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/health_check', { headers: { 'X-Request-ID': 'ops-42.a:b_c' } })
    expect(res.headers.get('x-request-id')).toBe('ops-42.a:b_c')
  })

  it.each([
    ['spaces', 'has spaces'],
    ['a quote', 'a"b'],
    ['129 characters', 'x'.repeat(129)],
  ])('replaces an incoming id with %s by a new UUID', async (_, bad) => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/health_check', { headers: { 'X-Request-ID': bad } })
    expect(res.headers.get('x-request-id')).toMatch(UUID)
  })

  it('makes a UUID when the client sent none, a different one per request', async () => {
    const { app } = testApp()
    const a = (await app.request('/flyer/v1/health_check')).headers.get('x-request-id')
    const b = (await app.request('/flyer/v1/health_check')).headers.get('x-request-id')
    expect(a).toMatch(UUID)
    expect(b).toMatch(UUID)
    expect(a).not.toBe(b)
  })

  it('is the logId of the error envelope and of the access log line', async () => {
    const { app, logs } = testApp()
    const res = await app.request('/flyer/v1/demo', jsonInit({ msgContent: 1 }))
    const id = res.headers.get('x-request-id')
    expect((await res.json()).logId).toBe(id)
    expect(logs.access.at(-1)?.logId).toBe(id)
  })

  it('uses the id generator and length limit it is given', async () => {
    const app = new Hono().use(requestId({ maxLength: 4, generate: () => 'fresh' })).get('/', (c) => c.text(c.get('requestId')))
    const kept = await app.request('/', { headers: { 'x-request-id': 'abcd' } })
    const replaced = await app.request('/', { headers: { 'x-request-id': 'abcde' } })
    expect([kept.headers.get('x-request-id'), await kept.text()]).toEqual(['abcd', 'abcd'])
    expect([replaced.headers.get('x-request-id'), await replaced.text()]).toEqual(['fresh', 'fresh'])
  })

  it('refuses a maxLength that is not a whole number above 0 when the factory runs', () => {
    expect(() => requestId({ maxLength: 0 })).toThrow(/maxLength/)
  })
})

describe('requestId under serveNode (written by the server in writeHead)', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
    close = undefined
  })

  const serve = async () => {
    const { app } = testApp()
    const served = await serveOnNode(app.fetch)
    close = served.close
    return `http://127.0.0.1:${served.port}`
  }

  it('sends the same id the envelope reports as logId', async () => {
    const base = await serve()
    const res = await fetch(`${base}/flyer/v1/demo`, jsonInit({}))
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(UUID)
    expect((await res.json()).logId).toBe(id)
  })

  it('reuses a valid incoming id and sends it once', async () => {
    const base = await serve()
    const res = await fetch(`${base}/flyer/v1/health_check`, { headers: { 'x-request-id': 'trace-7' } })
    expect(res.headers.get('x-request-id')).toBe('trace-7')
  })

  it('gives a request the app never saw (rejected by the adapter) a UUID too', async () => {
    const base = await serve()
    const port = Number(new URL(base).port)
    const { text } = await rawRequest(port, 'GET /a\\b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(text).toMatch(/^HTTP\/1\.1 400/)
    expect(text).toMatch(/x-request-id: [0-9a-f-]{36}\r\n/i)
    expect(text).toMatch(/x-content-type-options: nosniff\r\n/i)
  })
})
