import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json } from '#lib/schemas.ts'
import { testApp } from '../helpers/app.ts'
import { type ServedNode, serveOnNode } from '../helpers/node-server.ts'
import { rawRequest, statuses } from '../helpers/raw-http.ts'
import { tableOf } from '../helpers/router.ts'

// Issue 6, cases 5–8: request smuggling, body limits, slow clients and header floods over real sockets.
let calls = 0
let aborted = 0
const counted = defineRoute({ summary: 'counts calls, ignores its body', responses: { 200: json(CodeMsg) } }, (c) => {
  calls++
  return c.json({ code: 200, msg: 'ok' }, 200)
})
const slow = defineRoute({ summary: 'waits for its signal', responses: { 200: json(CodeMsg) } }, async (c) => {
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 10_000)
    c.req.raw.signal.addEventListener('abort', () => {
      aborted++
      clearTimeout(t)
      resolve()
    })
  })
  return c.json({ code: 200, msg: 'late' }, 200)
})
const { app, logs } = testApp(
  { flyer_body_limit: '1024', flyer_headers_timeout: '2' },
  {
    router: tableOf([
      { method: 'post', path: '/sink', def: counted },
      { method: 'get', path: '/slow', def: slow },
      { method: 'post', path: '/slow', def: slow },
    ]),
  },
)
let served: ServedNode
let port: number

beforeAll(async () => {
  served = await serveOnNode(app.fetch, { flyer_body_limit: '1024', flyer_headers_timeout: '2' })
  port = served.port
})
afterAll(async () => {
  await served.close()
})

const req = (head: string, body = '') => `${head.replace(/\n/g, '\r\n')}\r\n\r\n${body}`

describe('request smuggling shapes', () => {
  it.each([
    ['CL + TE', 'POST /flyer/v1/sink HTTP/1.1\nHost: x\nContent-Length: 4\nTransfer-Encoding: chunked', '0\r\n\r\nGET /flyer/v1/sink HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['duplicate TE', 'POST /flyer/v1/sink HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nTransfer-Encoding: identity', '0\r\n\r\n'],
    ['obfuscated TE', 'POST /flyer/v1/sink HTTP/1.1\nHost: x\nTransfer-Encoding: xchunked', '0\r\n\r\n'],
    ['TE with space before colon', 'POST /flyer/v1/sink HTTP/1.1\nHost: x\nTransfer-Encoding : chunked', '0\r\n\r\n'],
    ['two different Content-Lengths', 'POST /flyer/v1/sink HTTP/1.1\nHost: x\nContent-Length: 2\nContent-Length: 3', 'abc'],
  ])('%s → 400, handler not run', async (_, head, body) => {
    const before = calls
    const { text } = await rawRequest(port, req(head, body), 3_000)
    expect(statuses(text)[0]).toBe(400)
    expect(calls).toBe(before)
  })
})

describe('body limits', () => {
  it('answers a Content-Length above the limit with 413 before reading the body', async () => {
    const before = calls
    // Headers only: the server must answer without waiting for the 10 MB it was promised.
    const { text } = await rawRequest(port, req('POST /flyer/v1/sink HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 10485760'), 3_000)
    expect(statuses(text)[0]).toBe(413)
    expect(text).toContain('"code":40000')
    expect(calls).toBe(before)
  })

  it('answers a chunked body above the limit with 413 even when the handler ignores its body', async () => {
    const before = calls
    const chunk = 'x'.repeat(600)
    const body = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`
    const { text } = await rawRequest(port, req('POST /flyer/v1/sink HTTP/1.1\nHost: x\nContent-Type: text/plain\nTransfer-Encoding: chunked', body), 3_000)
    expect(statuses(text)[0]).toBe(413)
    expect(calls).toBe(before)
  })

  it('answers a Content-Length lie (shorter body, then close) without running the handler twice or hanging', async () => {
    const before = calls
    const { text } = await rawRequest(port, req('POST /flyer/v1/sink HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 500', '{"a":1}'), 3_000)
    // The server waits for the promised bytes; our side gives up — nothing may have reached the handler.
    expect(statuses(text).every((s) => s === 400 || s === 408)).toBe(true)
    expect(calls).toBe(before)
  })
})

describe('headers', () => {
  it('answers headers above 16 KiB with 431', async () => {
    const { text } = await rawRequest(port, req(`GET /flyer/v1/health_check HTTP/1.1\nHost: x\nX-Big: ${'a'.repeat(20_000)}`))
    expect(statuses(text)[0]).toBe(431)
  })

  it('answers thousands of headers with 431 or 400', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `X-H${i}: v`).join('\n')
    const { text } = await rawRequest(port, req(`GET /flyer/v1/health_check HTTP/1.1\nHost: x\n${many}`))
    expect([400, 431]).toContain(statuses(text)[0])
  })

  it('never echoes a control-character X-Request-ID (the parser refuses it, or it is replaced)', async () => {
    const { text } = await rawRequest(port, req('GET /health_check HTTP/1.1\nHost: x\nX-Request-ID: abc\u001b[31m\nConnection: close'))
    expect([200, 400]).toContain(statuses(text)[0])
    expect(text).not.toContain('\u001b')
  })

  it('answers a bad Host header without crashing', async () => {
    for (const host of ['Host: ', 'Host: a b c', 'Host: [::1', `Host: ${'h'.repeat(5000)}`]) {
      const { text } = await rawRequest(port, req(`GET /health_check HTTP/1.1\n${host}\nConnection: close`))
      expect([200, 400]).toContain(statuses(text)[0])
    }
    const { text } = await rawRequest(port, req('GET /health_check HTTP/1.1\nHost: x\nConnection: close'))
    expect(statuses(text)[0]).toBe(200)
  })
})

describe('slow and vanishing clients', () => {
  it('keeps answering normal requests while 200 sockets trickle headers, and closes them with 408', async () => {
    const slowSockets = Array.from({ length: 200 }, () => {
      const s = connect(port, '127.0.0.1')
      s.on('error', () => {})
      let got = ''
      s.on('data', (d) => (got += d))
      s.write('GET /health_check HTTP/1.1\r\nHost: x\r\n')
      const trickle = setInterval(() => s.writable && s.write('X-a: b\r\n'), 1_000)
      s.on('close', () => clearInterval(trickle))
      return { s, got: () => got, trickle }
    })
    try {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/health_check`)
        expect(res.status).toBe(200)
      }
      // flyer_headers_timeout=2 here: after it, every trickling socket has been answered 408 and closed.
      await new Promise((r) => setTimeout(r, 4_500))
      const closed = slowSockets.filter(({ s }) => s.destroyed || s.readyState === 'closed' || !s.readable)
      expect(closed.length).toBe(200)
      expect(slowSockets.filter(({ got }) => got().includes('408')).length).toBeGreaterThan(150)
    } finally {
      for (const { s, trickle } of slowSockets) {
        clearInterval(trickle)
        s.destroy()
      }
    }
  }, 20_000)

  it('aborts the handler\'s signal when the client disconnects mid-request', async () => {
    const before = aborted
    const s = connect(port, '127.0.0.1')
    s.write('GET /flyer/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n')
    await new Promise((r) => setTimeout(r, 300))
    s.destroy()
    await expect.poll(() => aborted, { timeout: 5_000 }).toBe(before + 1)
  })

  it('aborts the signal of a POST whose body came with its headers (taken off the socket) when the client disconnects', async () => {
    const before = aborted
    const s = connect(port, '127.0.0.1')
    s.write(req('POST /flyer/v1/slow HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 8', '{"a":1}\n'))
    await new Promise((r) => setTimeout(r, 300))
    s.destroy()
    await expect.poll(() => aborted, { timeout: 5_000 }).toBe(before + 1)
  })

  it('logged no handler error along the way', () => {
    expect(logs.errors.filter((e) => /unhandled|request failed/i.test(e.msg))).toEqual([])
  })
})
