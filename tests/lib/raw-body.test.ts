import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json, z } from '#lib/schemas.ts'
import { testApp } from '../helpers/app.ts'
import { serveOnNode } from '../helpers/node-server.ts'
import { exchange, httpRequest, responses, splitAfterHeaders } from '../helpers/raw-http.ts'
import { tableOf } from '../helpers/router.ts'

const post = (path: string, body: string, { close = true, contentType = 'application/json' } = {}) =>
  httpRequest('POST', path, { headers: { 'Content-Type': contentType }, body, close })
const bodies = (text: string) => responses(text).map((r) => r.body)

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})
const listen = async (fetch: (req: Request, env?: object) => Response | Promise<Response>) => {
  const { port, close } = await serveOnNode(fetch, { flyer_body_limit: '256' })
  closers.push(close)
  return port
}

/** A validated route answering with the name it got and whether the server had taken the body off the socket. */
const probeApp = () =>
  testApp(
    { flyer_body_limit: '256' },
    {
      timingHeaders: false,
      router: tableOf([
        {
          method: 'post',
          path: '/probe',
          def: defineRoute(
            { request: { body: { required: true, content: { 'application/json': { schema: z.object({ name: z.string().min(1) }) } } } }, responses: { 200: json(CodeMsg, 'ok') } },
            (c: any) => c.json({ code: 200, msg: JSON.stringify({ name: c.req.valid('json').name, taken: Buffer.isBuffer(c.env.incoming.rawBody) }) }, 200),
          ),
        },
      ]),
    },
  )

describe('a body that arrived with its headers (serveNode)', () => {
  it('is taken off the socket at once when it came in the same packet, and read from the stream when it came later', async () => {
    const { app } = probeApp()
    const port = await listen(app.fetch)
    const request = post('/flyer/v1/probe', '{"name":"disk"}')
    const together = bodies(await exchange(port, [request]))
    const apart = bodies(await exchange(port, splitAfterHeaders(request)))
    expect(JSON.parse(JSON.parse(together[0]!).msg)).toEqual({ name: 'disk', taken: true })
    expect(JSON.parse(JSON.parse(apart[0]!).msg)).toEqual({ name: 'disk', taken: false })
  })

  it('answers pipelined requests in one packet each from its own body, in order', async () => {
    const { app } = probeApp()
    const port = await listen(app.fetch)
    const names = ['a', 'bb', 'ccc']
    const payload = names.map((n, i) => post('/flyer/v1/probe', JSON.stringify({ name: n }), { close: i === names.length - 1 })).join('')
    const answers = bodies(await exchange(port, [payload])).map((b) => JSON.parse(JSON.parse(b).msg))
    expect(answers).toEqual(names.map((name) => ({ name, taken: true })))
  })

  it('leaves a body above flyer_body_limit on the socket: 413, as before', async () => {
    const { app } = probeApp()
    const port = await listen(app.fetch)
    const text = await exchange(port, [post('/flyer/v1/probe', JSON.stringify({ name: 'x'.repeat(300) }))])
    expect(text).toMatch(/^HTTP\/1\.1 413/)
    expect(JSON.parse(bodies(text)[0]!).code).toBe(40000)
  })

  it('logs the body it took in the access line, secrets redacted', async () => {
    const { app, logs } = probeApp()
    const port = await listen(app.fetch)
    await exchange(port, [post('/flyer/v1/probe', '{"name":"disk","token":"s3cret"}')])
    expect(JSON.parse(logs.access[0]?.body as string)).toEqual({ name: 'disk', token: '[REDACTED]' })
  })

  it('is what every Request body reader returns to a plain Hono app: text, bytes, form, stream', async () => {
    const app = new Hono()
    app.post('/text', async (c) => c.text(await c.req.text()))
    app.post('/bytes', async (c) => c.text(String((await c.req.arrayBuffer()).byteLength)))
    app.post('/form', async (c) => c.json(await c.req.parseBody()))
    app.post('/stream', async (c) => c.text(await new Response(c.req.raw.body).text()))
    app.post('/taken', (c) => c.text(String(Buffer.isBuffer((c.env as any).incoming.rawBody))))
    const port = await listen(app.fetch)
    const one = async (path: string, body: string, contentType?: string) => bodies(await exchange(port, [post(path, body, { contentType })]))[0]
    expect(await one('/text', 'héllo wörld', 'text/plain; charset=utf-8')).toBe('héllo wörld')
    expect(await one('/bytes', 'héllo', 'text/plain')).toBe('6')
    expect(JSON.parse((await one('/form', 'a=1&b=two', 'application/x-www-form-urlencoded'))!)).toEqual({ a: '1', b: 'two' })
    expect(await one('/stream', '{"x":1}')).toBe('{"x":1}')
    expect(await one('/taken', '{"x":1}')).toBe('true')
  })
})
