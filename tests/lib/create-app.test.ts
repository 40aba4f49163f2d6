import { describe, expect, it } from 'vitest'
import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json, z } from '#lib/schemas.ts'
import { FlyerError, ErrorCode } from '#lib/errors.ts'
import { testApp } from '../helpers/app.ts'
import { tableOf } from '../helpers/router.ts'

const boom = defineRoute({ summary: 'throws', responses: { 200: json(CodeMsg) } }, () => {
  throw new Error('connect ECONNREFUSED mysql://root:hunter2@db:3306 SELECT * FROM secrets')
})
const wrongShape = defineRoute({ summary: 'bad reply', responses: { 200: json(CodeMsg) } }, (c) => c.json({ code: 'two hundred' } as never, 200))
const upstream = defineRoute({ summary: 'upstream', responses: { 200: json(CodeMsg) } }, () => {
  throw new FlyerError(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, 'CMDB answered 503')
})
const files = defineRoute(
  { summary: 'catch-all', request: { params: z.object({ rest: z.string() }) }, responses: { 200: json(CodeMsg) } },
  (c) => c.json({ code: 200, msg: c.req.valid('param').rest }, 200),
)
const router = tableOf([
  { method: 'get', path: '/boom', def: boom },
  { method: 'get', path: '/wrong', def: wrongShape },
  { method: 'get', path: '/upstream', def: upstream },
  { method: 'get', path: '/files/{rest}', def: files, catchAll: ['rest'] },
])

describe('app factory', () => {
  it('answers an unknown path with 404 and the envelope', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/nope')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 40000, logId: res.headers.get('x-request-id') })
  })

  it('answers a known path with the wrong method with 405, Allow and the envelope', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/demo', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('POST')
    expect((await res.json()).code).toBe(40000)
  })

  it('answers HEAD for GET routes', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/health_check', { method: 'HEAD' })
    expect(res.status).toBe(200)
  })

  it('turns a thrown error into a generic 50000 and logs the full error under the same logId', async () => {
    const { app, logs } = testApp({}, { router })
    const res = await app.request('/flyer/v1/boom')
    const body = await res.json()
    expect(body.code).toBe(50000)
    expect(JSON.stringify(body)).not.toMatch(/hunter2|SELECT|ECONNREFUSED|at /)
    expect(logs.errors).toHaveLength(1)
    expect(logs.errors[0]!.obj).toMatchObject({ logId: body.logId })
  })

  it('uses HTTP 500 for a thrown error when flyer_http_errors=1', async () => {
    const { app } = testApp({ flyer_http_errors: '1' }, { router })
    expect((await app.request('/flyer/v1/boom')).status).toBe(500)
  })

  it('answers 40002 for an upstream failure, 502 with flyer_http_errors=1', async () => {
    const res = await testApp({}, { router }).app.request('/flyer/v1/upstream')
    expect(await res.json()).toMatchObject({ code: 40002, msg: 'CMDB answered 503' })
    expect((await testApp({ flyer_http_errors: '1' }, { router }).app.request('/flyer/v1/upstream')).status).toBe(502)
  })

  it('checks responses against their schema with flyer_validate_response=1 (code 40001)', async () => {
    const { app } = testApp({ flyer_validate_response: '1' }, { router })
    const body = await (await app.request('/flyer/v1/wrong')).json()
    expect(body.code).toBe(40001)
    expect(body.msg).toMatch(/code/)
  })

  it('lets a wrong response through when response validation is off', async () => {
    const { app } = testApp({ flyer_validate_response: '0' }, { router })
    expect(await (await app.request('/flyer/v1/wrong')).json()).toEqual({ code: 'two hundred' })
  })

  it('routes a catch-all and documents it under its clean path', async () => {
    const { app } = testApp({}, { router })
    expect(await (await app.request('/flyer/v1/files/a/b/c.txt')).json()).toEqual({ code: 200, msg: 'a/b/c.txt' })
    const doc = await (await app.request('/flyer/v1/openapi.json')).json()
    expect(Object.keys(doc.paths)).toContain('/flyer/v1/files/{rest}')
    expect(Object.keys(doc.paths).join()).not.toContain('.+')
  })

  it('sets the contract headers on every response', async () => {
    const { app } = testApp()
    for (const path of ['/flyer/v1/health_check', '/nope']) {
      const res = await app.request(path)
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      expect(res.headers.get('x-lasting-time')).toMatch(/^\d+$/)
      expect(res.headers.get('x-memory-usage')).toMatch(/^\d+(\.\d+)?MB$/)
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    }
  })
})

describe('docs', () => {
  it('documents every operation with the error envelope', async () => {
    const { app } = testApp()
    const doc = await (await app.request('/flyer/v1/openapi.json')).json()
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.info.description).toContain('/flyer/v1/docs')
    expect(doc.info.description).toContain('/flyer/v1/redoc')
    const post = doc.paths['/flyer/v1/demo'].post
    expect(post.tags).toEqual(['demo'])
    expect(post.responses['500'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorEnvelope')
    expect(post.responses['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorEnvelope')
    expect(doc.paths['/flyer/v1/demo/{name}'].get.parameters[0]).toMatchObject({ name: 'name', in: 'path' })
  })

  it('shows the author and release date', async () => {
    const { app } = testApp({ flyer_author: 'Jager', flyer_release_date: '2026-11-26' })
    const { info } = await (await app.request('/flyer/v1/openapi.json')).json()
    expect(info.description).toContain('Jager')
    expect(info.description).toContain('2026-11-26')
  })

  it.each(['/flyer/v1/docs', '/flyer/v1/redoc'])('%s loads every asset from this server', async (page) => {
    const { app } = testApp()
    const html = await (await app.request(page)).text()
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(assets.length).toBeGreaterThanOrEqual(2)
    for (const url of assets) {
      expect(url).toMatch(/^\/flyer\//)
      expect((await app.request(url)).status).toBe(200)
    }
  })
})

describe('static files', () => {
  it('serves the favicon and logo', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/static/favicon.png')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect((await app.request('/flyer/static/logo.svg')).status).toBe(200)
  })

  it.each(['/flyer/static/../package.json', '/flyer/static/%2e%2e/package.json', '/flyer/static/%2E%2E/%2E%2E/etc/passwd', '/flyer/static//etc/passwd', '/flyer/static/..%2fpackage.json'])(
    'never serves a file outside static/: %s',
    async (path) => {
      const { app } = testApp()
      const res = await app.request(`http://localhost${path}`)
      expect(res.status).toBe(404)
      expect(await res.text()).not.toMatch(/"name": "flyer"|root:/)
    },
  )
})
