import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '#lib/config.ts'
import { flyerRoute } from '#lib/create-app.ts'
import { requestSignal } from '#middleware/timeout.ts'
import { buildApp } from '../../app.ts'

// One suite, two runtimes: vitest runs it on Node (serveNode), `npm run test:bun` on Bun (serveBun). The
// same requests over a real socket must get the same answers.
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'
const runtime = isBun ? 'Bun' : 'Node'
let base = ''
let drain: (graceMs: number) => Promise<{ forced: number }>
let aborted = false

beforeAll(async () => {
  const config = loadConfig({ flyer_host: '127.0.0.1', flyer_port: '0', flyer_log_file: '0', flyer_timeout: '1', flyer_body_limit: '1024' })
  const silent = { error: () => {}, warn: () => {}, info: () => {} }
  const app = buildApp({ config, accessLog: false, log: silent as never })
  app.get(
    '/wire/slow',
    ...flyerRoute(app, async (c) => {
    const signal = requestSignal(c)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(c.req.query('ms')))
      signal.addEventListener('abort', () => {
        aborted = true
        clearTimeout(timer)
        resolve()
      })
    })
    return c.json({ code: 200, msg: 'slow done' })
    }),
  )
  const served = isBun
    ? await (await import('#lib/serve-bun.ts')).serveBun({ fetch: app.fetch, config })
    : await (await import('#lib/serve-node.ts')).serveNode({ fetch: app.fetch, config })
  base = `http://127.0.0.1:${served.port}`
  drain = served.drain
})

afterAll(async () => {
  await drain?.(100)
})

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
})

describe(`wire contract over a socket (${runtime})`, () => {
  it('answers both health checks', async () => {
    for (const path of ['/health_check', '/flyer/v1/health_check']) {
      const res = await fetch(base + path)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ msg: 'success', code: 200 })
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
  })

  it('serves the demo routes', async () => {
    expect(await (await fetch(`${base}/flyer/v1/demo`, json({ msgContent: 'Flyer' }))).json()).toEqual({ code: 200, msg: 'Hello Flyer!' })
    expect(await (await fetch(`${base}/flyer/v1/demo/Jager`)).json()).toEqual({ code: 200, msg: 'Hello Jager!' })
  })

  it('answers a validation error with the envelope, the peer address as clientIp and the incoming id as logId', async () => {
    const res = await fetch(`${base}/flyer/v1/demo`, json({ msgContent: 1 }, { 'X-Request-ID': 'wire-1' }))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ code: 40000, logId: 'wire-1', clientIp: '127.0.0.1' })
  })

  it('answers 404, 405 with Allow, and 413 with the envelope', async () => {
    const missing = await fetch(`${base}/flyer/v1/nope`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ code: 40000 })
    const wrong = await fetch(`${base}/flyer/v1/demo`, { method: 'DELETE' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toContain('POST')
    const big = await fetch(`${base}/flyer/v1/demo`, json({ msgContent: 'x'.repeat(4096) }))
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ code: 40000 })
  })

  it('serves the docs, the OpenAPI document and static files', async () => {
    expect((await fetch(`${base}/flyer/v1/docs`)).headers.get('content-type')).toContain('text/html')
    const doc = (await (await fetch(`${base}/flyer/v1/openapi.json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toContain('/flyer/v1/demo')
    expect((await fetch(`${base}/flyer/static/favicon.png`)).status).toBe(200)
  })

  it('cuts a request at flyer_timeout with code 50000 and aborts its signal', async () => {
    const res = await fetch(`${base}/wire/slow?ms=5000`)
    expect(await res.json()).toMatchObject({ code: 50000, msg: 'Request timed out after 1 s' })
    expect(aborted).toBe(true)
  })
})
