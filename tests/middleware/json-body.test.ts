import { describe, expect, it } from 'vitest'
import { jsonInit, testApp } from '../helpers/app.ts'

describe('JSON request bodies', () => {
  it.each([['Application/JSON'], ['application/json\t;'], ['application/json; charset=utf-8'], ['application/vnd.ops+json']])(
    'accepts Content-Type %j',
    async (contentType) => {
      const { app } = testApp()
      const res = await app.request('/flyer/v1/demo', jsonInit({ msgContent: 'x' }, { contentType }))
      expect(await res.json()).toEqual({ code: 200, msg: 'Hello x!' })
    },
  )

  it('rejects a JSON body labelled text/plain instead of validating it as {}', async () => {
    const { app } = testApp()
    const body = await (await app.request('/flyer/v1/demo', jsonInit({ msgContent: 'x' }, { contentType: 'text/plain' }))).json()
    expect(body.code).toBe(40000)
    expect(body.msg).toMatch(/Unsupported Media Type/)
  })

  it.each(['', '   ', '{', '[1,', 'null', '"str"'])('never lets %j reach the handler as a valid body', async (raw) => {
    const { app } = testApp()
    const body = await (await app.request('/flyer/v1/demo', jsonInit(raw))).json()
    expect(body.code).toBe(40000)
  })

  it.each([
    '{"__proto__":{"isAdmin":true},"msgContent":"x"}',
    '{"constructor":{"prototype":{"isAdmin":true}},"msgContent":"x"}',
    '{"msgContent":"x","nested":{"__proto__":{"isAdmin":true}}}',
    // \u-escaped keys JSON.parse decodes to the same names.
    '{"\\u005f_proto__":{"isAdmin":true},"msgContent":"x"}',
    '{"\\u0063onstructor":{"prototype":{"isAdmin":true}},"msgContent":"x"}',
  ])('rejects prototype poisoning %s', async (raw) => {
    const { app } = testApp()
    const body = await (await app.request('/flyer/v1/demo', jsonInit(raw))).json()
    expect(body.code).toBe(40000)
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
  })

  it('answers 413 for a body above flyer_body_limit', async () => {
    const { app } = testApp({ flyer_body_limit: '1024' })
    const res = await app.request('/flyer/v1/demo', jsonInit({ msgContent: 'x'.repeat(5000) }))
    expect(res.status).toBe(413)
    expect((await res.json()).code).toBe(40000)
  })

  it('keeps the parsed body for the access log, secrets redacted', async () => {
    const { app, logs } = testApp()
    await app.request('/flyer/v1/demo', jsonInit({ msgContent: 'x', password: 'hunter2', nested: { apiToken: 't0k' } }))
    const line = JSON.stringify(logs.access[0])
    expect(line).toContain('msgContent')
    expect(line).not.toContain('hunter2')
    expect(line).not.toContain('t0k')
  })
})
