import { ServerResponse } from 'node:http'
import { type Context, Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { nativeHeadersSupported } from '#lib/native-headers.ts'
import { timing } from '#middleware/timing.ts'
import { jsonInit, testApp } from '../helpers/app.ts'
import { serveOnNode } from '../helpers/node-server.ts'
import { rawRequest } from '../helpers/raw-http.ts'

const CONTRACT = ['x-request-id', 'x-lasting-time', 'x-memory-usage', 'x-content-type-options']

describe('timing (in-process: set on the finished response)', () => {
  it('sends the whole milliseconds spent, the sampled RSS and nosniff', async () => {
    let t = 1000
    const app = new Hono()
      .use(timing({ now: () => t, memory: () => 71.3 }))
      .get('/', (c) => {
        t += 12.6
        return c.json({ ok: true })
      })
    const res = await app.request('/')
    expect(res.headers.get('x-lasting-time')).toBe('13')
    expect(res.headers.get('x-memory-usage')).toBe('71.3MB')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ ok: true })
  })

  it.each([
    ['a success', '/flyer/v1/health_check', undefined],
    ['an unknown path (404)', '/nope', undefined],
    ['a validation failure (40000)', '/flyer/v1/demo', jsonInit({ msgContent: 5 })],
    ['a wrong method (405)', '/flyer/v1/demo', { method: 'GET' }],
  ])('puts all four contract headers on %s', async (_, path, init) => {
    const { app } = testApp()
    const res = await app.request(path, init)
    for (const h of CONTRACT) expect(res.headers.get(h), h).toBeTruthy()
    expect(res.headers.get('x-lasting-time')).toMatch(/^\d+$/)
    expect(res.headers.get('x-memory-usage')).toMatch(/^\d+(\.\d)?MB$/)
  })

  it('also marks a response whose headers are immutable (Response.redirect)', async () => {
    const app = new Hono().use(timing()).get('/', () => Response.redirect('http://example.test/next', 302))
    const res = await app.request('/')
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://example.test/next')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('is left out with createApp({ timingHeaders: false }) (the server then adds the headers)', async () => {
    const { app } = testApp({}, { timingHeaders: false })
    const res = await app.request('/flyer/v1/health_check')
    expect(res.headers.get('x-lasting-time')).toBeNull()
    expect(res.headers.get('x-request-id')).toBeTruthy()
  })
})

describe('contract headers under serveNode (written in writeHead, fast path kept)', () => {
  let close: (() => Promise<void>) | undefined
  afterEach(async () => {
    await close?.()
    close = undefined
  })

  const serve = async (options: Parameters<typeof testApp>[1] = {}) => {
    const { app } = testApp({}, options)
    const served = await serveOnNode(app.fetch)
    close = served.close
    return served.port
  }

  it.each([
    ['GET health_check', 'GET /flyer/v1/health_check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 200],
    ['an unknown path', 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404],
    ['POST demo', 'POST /flyer/v1/demo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 22\r\nConnection: close\r\n\r\n{"msgContent":"Flyer"}', 200],
  ])('sends each contract header exactly once on %s', async (_, payload, status) => {
    const port = await serve()
    const { text } = await rawRequest(port, payload)
    const head = text.split('\r\n\r\n')[0]!.toLowerCase()
    expect(head).toMatch(new RegExp(`^http/1\\.1 ${status}`))
    for (const h of CONTRACT) expect(head.split(`\r\n${h}: `).length - 1, h).toBe(1)
    expect(head).toMatch(/\r\nx-lasting-time: \d+\r\n/)
    expect(head).toMatch(/\r\nx-content-type-options: nosniff(\r\n|$)/)
  })

  it.each([
    ['a Response with them in its Headers', (c: Context) => c.json({ ok: true }, 200, { 'X-Lasting-Time': '999', 'x-content-type-options': 'sniff', 'X-Request-ID': 'mine' })],
    ['setHeader on the node response', (c: Context) => {
      const res = (c.env as { outgoing: ServerResponse }).outgoing
      res.setHeader('X-Memory-Usage', '1TB')
      res.setHeader('x-request-id', 'mine')
      return c.json({ ok: true })
    }],
  ])('sends Flyer’s own value once when the app set a contract header itself (%s)', async (_, handler) => {
    const served = await serveOnNode(new Hono().get('/', handler).fetch)
    close = served.close
    const { text } = await rawRequest(served.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: from-client\r\nConnection: close\r\n\r\n')
    const head = text.split('\r\n\r\n')[0]!.toLowerCase()
    for (const h of CONTRACT) expect(head.split(`\r\n${h}: `).length - 1, h).toBe(1)
    expect(head).toMatch(/\r\nx-lasting-time: \d{1,3}\r\n/)
    expect(head).toMatch(/\r\nx-memory-usage: \d+(\.\d)?mb\r\n/)
    expect(head).toContain('\r\nx-content-type-options: nosniff\r\n')
    expect(head).not.toContain('mine')
    expect(head).toContain('content-type: application/json')
  })

  it('relies on node:http’s _storeHeader, which this Node.js has (serveNode refuses to start without it)', () => {
    expect(typeof (ServerResponse.prototype as unknown as { _storeHeader?: unknown })._storeHeader).toBe('function')
    expect(nativeHeadersSupported).toBe(true)
  })

  it('writes them even when the app leaves timing out (timingHeaders: false)', async () => {
    const port = await serve({ timingHeaders: false })
    const { text } = await rawRequest(port, 'GET /flyer/v1/health_check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    for (const h of CONTRACT) expect(text.toLowerCase(), h).toContain(`\r\n${h}: `)
  })
})
