import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json, z } from '#lib/schemas.ts'
import { jsonInit, testApp } from '../helpers/app.ts'
import { serveOnNode } from '../helpers/node-server.ts'
import { exchange, httpRequest, responses, splitAfterHeaders } from '../helpers/raw-http.ts'
import { tableOf } from '../helpers/router.ts'

const Body = z.object({ name: z.string().min(1).max(8), count: z.number().int().optional() })
const Query = z.object({ verbose: z.enum(['0', '1']).optional(), tag: z.union([z.string(), z.array(z.string())]).optional() })
const Params = z.object({ id: z.string().regex(/^\d+$/) })
const Headers = z.object({ 'X-Team': z.string().min(2) })
const Cookies = z.object({ session: z.string().optional() })
const Slow = z.object({ name: z.string().refine(async (v) => v !== 'taken', 'name is taken') })

const echo = (c: any) =>
  c.json({ code: 200, msg: JSON.stringify({ param: c.req.valid('param'), query: c.req.valid('query'), json: c.req.valid('json'), header: c.req.valid('header'), cookie: c.req.valid('cookie') }) }, 200)

const routes = () =>
  tableOf([
    {
      method: 'post',
      path: '/items/{id}',
      def: defineRoute(
        { request: { params: Params, query: Query, headers: Headers, cookies: Cookies, body: { required: true, content: { 'application/json': { schema: Body } } } }, responses: { 200: json(CodeMsg, 'ok') } },
        echo,
      ),
    },
    { method: 'put', path: '/loose', def: defineRoute({ request: { body: { content: { 'application/json': { schema: Body } } } }, responses: { 200: json(CodeMsg, 'ok') } }, echo) },
    { method: 'post', path: '/slow', def: defineRoute({ request: { body: { required: true, content: { 'application/json': { schema: Slow } } } }, responses: { 200: json(CodeMsg, 'ok') } }, echo) },
    { method: 'delete', path: '/things/{id}', def: defineRoute({ request: { params: Params }, responses: { 200: json(CodeMsg, 'ok') } }, echo) },
    { method: 'get', path: '/things/{id}', def: defineRoute({ request: { params: Params, query: Query }, responses: { 200: json(CodeMsg, 'ok') } }, echo) },
    {
      method: 'post',
      path: '/wrong',
      def: defineRoute({ request: { body: { required: true, content: { 'application/json': { schema: Body } } } }, responses: { 200: json(CodeMsg, 'ok') } }, (c: any) =>
        c.json({ code: 'two hundred' }, 200),
      ),
    },
  ])

const app = (env: Record<string, string> = {}) => testApp({ flyer_body_limit: '256', ...env }, { router: routes() }).app
const team = { 'x-team': 'ops', cookie: 'session=abc' }

/** Status and body without the per-request logId: what a client can compare. */
const answer = async (res: Response) => {
  const body = (await res.json()) as Record<string, unknown>
  delete body.logId
  return { status: res.status, body }
}

/** [name, path, body, init options] — each sent with Content-Length (the one-step path) and without (the general chain). */
const cases: [string, string, unknown, Parameters<typeof jsonInit>[1]][] = [
  ['a valid request', '/flyer/v1/items/7?verbose=1&tag=a&tag=b', { name: 'disk', count: 2 }, { headers: team }],
  ['a bad body field', '/flyer/v1/items/7', { name: '', count: 1.5 }, { headers: team }],
  ['a bad path parameter (checked before the body)', '/flyer/v1/items/x', { name: '' }, { headers: team }],
  ['a bad query value', '/flyer/v1/items/7?verbose=2', { name: 'a' }, { headers: team }],
  ['a missing header', '/flyer/v1/items/7', { name: 'a' }, {}],
  ['malformed JSON (before any validator)', '/flyer/v1/items/x', '{"name":', { headers: team }],
  ['an empty body', '/flyer/v1/items/7', '', { headers: team }],
  ['prototype poisoning', '/flyer/v1/items/7', '{"__proto__":{"x":1},"name":"a"}', { headers: team }],
  ['a body above the limit', '/flyer/v1/items/7', { name: 'a', pad: 'x'.repeat(400) }, { headers: team }],
  ['Content-Type with charset', '/flyer/v1/items/7', { name: 'a' }, { headers: team, contentType: 'application/json; charset=utf-8' }],
  ['Content-Type text/plain', '/flyer/v1/items/7', { name: 'a' }, { headers: team, contentType: 'text/plain' }],
  ['no Content-Type', '/flyer/v1/items/7', { name: 'a' }, { headers: team, contentType: null }],
  ['an optional body, valid', '/flyer/v1/loose', { name: 'a' }, { method: 'PUT' }],
  ['an optional body, absent', '/flyer/v1/loose', '', { method: 'PUT', contentType: null }],
  ['an async refinement, failing', '/flyer/v1/slow', { name: 'taken' }, {}],
  ['an async refinement, passing', '/flyer/v1/slow', { name: 'free' }, {}],
  ['a DELETE without a body', '/flyer/v1/things/9', '', { method: 'DELETE', contentType: null }],
  ['a DELETE with a bad id', '/flyer/v1/things/x', '', { method: 'DELETE', contentType: null }],
  ['a DELETE with a JSON body', '/flyer/v1/things/9', { why: 'old' }, { method: 'DELETE' }],
]

describe('the one-step input of a route', () => {
  afterEach(() => vi.restoreAllMocks())

  it.each(cases)('answers %s as the general validator chain does (response validation off and on)', async (_name, path, body, init) => {
    for (const validate of ['0', '1']) {
      const a = app({ flyer_validate_response: validate })
      const fast = await answer(await a.request(path, jsonInit(body, init)))
      const general = await answer(await a.request(path, jsonInit(body, { ...init, contentLength: false })))
      expect(fast, `flyer_validate_response=${validate}`).toEqual(general)
    }
  })

  it('answers a valid request with every part validated', async () => {
    const res = await app().request('/flyer/v1/items/7?verbose=1&tag=a&tag=b', jsonInit({ name: 'disk' }, { headers: team }))
    expect(JSON.parse((await res.json()).msg)).toEqual({
      param: { id: '7' },
      query: { verbose: '1', tag: ['a', 'b'] },
      json: { name: 'disk' },
      header: { 'X-Team': 'ops' },
      cookie: { session: 'abc' },
    })
  })

  it('names the first failing part as the general chain does: body parse, then query, path, header, cookie, body schema', async () => {
    const msg = async (path: string, body: unknown, headers: Record<string, string>) => (await (await app().request(path, jsonInit(body, { headers }))).json()).msg as string
    expect(await msg('/flyer/v1/items/x?verbose=2', { name: '' }, {})).toMatch(/^query\.verbose/)
    expect(await msg('/flyer/v1/items/x', { name: '' }, {})).toMatch(/^path\.id/)
    expect(await msg('/flyer/v1/items/7', { name: '' }, {})).toMatch(/^header\.X-Team/)
    expect(await msg('/flyer/v1/items/7', { name: '' }, team)).toMatch(/^body\.name/)
  })

  it('validates a plainly framed JSON body synchronously, and hands other framings to zod-openapi’s validators', async () => {
    const sync = vi.spyOn(Body, 'safeParse')
    const async = vi.spyOn(Body, 'safeParseAsync')
    const a = app()
    await a.request('/flyer/v1/items/7', jsonInit({ name: 'a' }, { headers: team }))
    expect([sync.mock.calls.length, async.mock.calls.length]).toEqual([1, 0])
    await a.request('/flyer/v1/items/7', jsonInit({ name: 'a' }, { headers: team, contentLength: false }))
    expect(async.mock.calls.length).toBe(1)
  })

  it('checks the response after the one step when flyer_validate_response=1 (code 40001), and not envelopes', async () => {
    const a = app({ flyer_validate_response: '1' })
    for (const contentLength of [true, false]) {
      expect((await (await a.request('/flyer/v1/wrong', jsonInit({ name: 'a' }, { contentLength }))).json()).code).toBe(40001)
      expect((await (await a.request('/flyer/v1/wrong', jsonInit({ name: '' }, { contentLength }))).json()).code).toBe(40000)
    }
  })

  it('keeps the parsed body for the access log, secrets redacted', async () => {
    const { app: a, logs } = testApp({}, {})
    await a.request('/flyer/v1/demo', jsonInit({ msgContent: 'x', password: 'hunter2' }))
    expect(JSON.parse(logs.access[0]?.body as string)).toEqual({ msgContent: 'x', password: '[REDACTED]' })
  })

  it('checks basic auth before the input step, and answers with credentials as the general chain does', async () => {
    const a = testApp({ flyer_auth_enable: '1', flyer_auth_user: 'ops', flyer_auth_pass: 'pw', flyer_body_limit: '256' }, { router: routes() }).app
    const creds = { authorization: `Basic ${btoa('ops:pw')}` }
    // A bad body without credentials: the 401 comes first.
    expect((await a.request('/flyer/v1/items/x', jsonInit({ name: '' }, { headers: team }))).status).toBe(401)
    for (const [, path, body, init] of cases) {
      const withCreds = { ...init, headers: { ...init?.headers, ...creds } }
      const fast = await answer(await a.request(path, jsonInit(body, withCreds)))
      const general = await answer(await a.request(path, jsonInit(body, { ...withCreds, contentLength: false })))
      expect(fast, path).toEqual(general)
      expect(fast.status, path).not.toBe(401)
    }
  })
})

describe('the one-step input over a real socket', () => {
  /** Runs `use` against the test app served by serveNode on a free port, then closes it. */
  const onSocket = async (use: (port: number) => Promise<void>) => {
    const { port, close } = await serveOnNode(app().fetch, { flyer_body_limit: '256' })
    try {
      await use(port)
    } finally {
      await close()
    }
  }

  it('answers every case the same whether the body came in the headers’ packet (taken at once) or in one of its own', () =>
    onSocket(async (port) => {
      for (const [name, path, body, { method = 'POST', contentType = 'application/json', headers = {} } = {}] of cases) {
        const request = httpRequest(method, path, {
          headers: { ...(contentType === null ? {} : { 'Content-Type': contentType }), ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        })
        const [together, apart] = [responses(await exchange(port, [request])), responses(await exchange(port, splitAfterHeaders(request)))].map((all) =>
          all.map(({ status, body }) => ({ status, body: { ...JSON.parse(body), logId: undefined } })),
        )
        expect(together, name).toHaveLength(1)
        expect(apart, name).toEqual(together)
      }
    }))

  it('answers a chunked JSON body (the general chain) as the same body with Content-Length', () =>
    onSocket(async (port) => {
      const send = async (path: string, body: string, chunked: boolean) => {
        const init = { method: 'POST', headers: { ...team, 'content-type': 'application/json' } }
        const res = chunked
          ? await fetch(`http://127.0.0.1:${port}${path}`, { ...init, body: new Blob([body]).stream(), duplex: 'half' } as RequestInit)
          : await fetch(`http://127.0.0.1:${port}${path}`, { ...init, body })
        return answer(res)
      }
      for (const [path, body] of [
        ['/flyer/v1/items/7?tag=a', '{"name":"disk"}'],
        ['/flyer/v1/items/7', '{"name":""}'],
        ['/flyer/v1/items/7', '{"name":'],
        ['/flyer/v1/items/7', JSON.stringify({ name: 'a', pad: 'x'.repeat(400) })],
      ] as const) {
        const sized = await send(path, body, false)
        expect(await send(path, body, true), `${path} ${body.slice(0, 20)}`).toEqual(sized)
      }
      expect((await send('/flyer/v1/items/7', '{"name":"disk"}', true)).body.code).toBe(200)
    }))
})
