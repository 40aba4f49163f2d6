import { describe, expect, it } from 'vitest'
import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json } from '#lib/schemas.ts'
import { testApp } from '../helpers/app.ts'
import { tableOf } from '../helpers/router.ts'

const env = { flyer_auth_enable: '1', flyer_auth_user: 'ops', flyer_auth_pass: 'pässwörd:1' }
const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`

describe('basic auth', () => {
  it('lets the right user in', async () => {
    const { app } = testApp(env)
    const res = await app.request('/flyer/v1/demo/x', { headers: { authorization: basic('ops:pässwörd:1') } })
    expect(res.status).toBe(200)
  })

  it.each([
    ['missing', undefined],
    ['bad base64', 'Basic %%%not-base64'],
    ['no colon', basic('opspässwörd')],
    ['right password, wrong user', basic('root:pässwörd:1')],
    ['wrong password', basic('ops:nope')],
    ['other scheme', 'Bearer abc'],
    ['empty', 'Basic '],
  ])('answers the same 401 envelope when the credentials are %s', async (_, header) => {
    const { app } = testApp(env)
    const res = await app.request('/flyer/v1/demo/x', { headers: header ? { authorization: header } : {} })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Flyer"/)
    expect(await res.json()).toMatchObject({ code: 40003, msg: 'Unauthorized', logId: res.headers.get('x-request-id') })
  })

  it.each(['/flyer/v1//demo/x', '/flyer/v1/demo/x/', '/fl%79er/v1/demo/x', '/flyer/v1/%64emo/x', '/FLYER/v1/demo/x', '/flyer/v1/openapi.json', '/flyer/v1/docs', '/metrics'])(
    'still needs credentials on %s',
    async (path) => {
      const { app } = testApp(env)
      expect((await app.request(`http://localhost${path}`)).status).toBe(401)
    },
  )

  it.each(['/health_check', '/flyer/v1/health_check'])('keeps %s open', async (path) => {
    const { app } = testApp(env)
    expect((await app.request(path)).status).toBe(200)
  })

  it('keeps a route declaring auth: false open, and only that route', async () => {
    const open = defineRoute({ summary: 'open', auth: false, responses: { 200: json(CodeMsg) } }, (c) => c.json({ code: 200, msg: 'open' }, 200))
    const closed = defineRoute({ summary: 'closed', responses: { 200: json(CodeMsg) } }, (c) => c.json({ code: 200, msg: 'closed' }, 200))
    const router = tableOf([
      { method: 'get', path: '/pub/{id}', def: open },
      { method: 'get', path: '/pub/{id}/more', def: closed },
    ])
    const { app } = testApp(env, { router })
    expect((await app.request('/flyer/v1/pub/7')).status).toBe(200)
    expect((await app.request('/flyer/v1/pub/7/more')).status).toBe(401)
  })

  it('documents the basic auth scheme in OpenAPI', async () => {
    const { app } = testApp(env)
    const doc = await (await app.request('/flyer/v1/openapi.json', { headers: { authorization: basic('ops:pässwörd:1') } })).json()
    expect(doc.components.securitySchemes.basicAuth).toEqual({ type: 'http', scheme: 'basic' })
    expect(doc.security).toEqual([{ basicAuth: [] }])
  })
})
