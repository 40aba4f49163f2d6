import { describe, expect, it } from 'vitest'
import { jsonInit, testApp } from '../helpers/app.ts'

// Ports of the original's tests: test_demo.py, test_exception_validate.py, test_health.py, test_base.py.
describe('demo routes (original test_demo.py)', () => {
  it('greets msgContent', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/demo', jsonInit({ msgContent: 'Flyer' }))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ code: 200, msg: 'Hello Flyer!' })
  })

  it('parses a JSON body sent without Content-Type as JSON', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/demo', jsonInit({ msgContent: 'Ops' }, { contentType: null }))
    expect(await res.json()).toEqual({ code: 200, msg: 'Hello Ops!' })
  })

  it('greets the {name} path parameter', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/demo/Jager')
    expect(await res.json()).toEqual({ code: 200, msg: 'Hello Jager!' })
  })

  it('serves the service root under a configured base url and version', async () => {
    const { app } = testApp({ flyer_base_url: '/ops', flyer_version: 'v2' })
    expect((await app.request('/ops/v2/demo/x')).status).toBe(200)
    expect((await app.request('/flyer/v1/demo/x')).status).toBe(404)
  })
})

describe('validation errors (original test_exception_validate.py)', () => {
  it('answers HTTP 200 with code 40000 naming the bad field, without echoing the value', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/demo', jsonInit({ msgContent: 12345678 }))
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.code).toBe(40000)
    expect(body.msg).toContain('body.msgContent')
    expect(body.msg).not.toContain('12345678')
    expect(body.logId).toBe(res.headers.get('x-request-id'))
    expect(Object.keys(body).sort()).toEqual(['clientIp', 'code', 'logId', 'msg'])
  })

  it('answers 422 when flyer_http_errors=1', async () => {
    const { app } = testApp({ flyer_http_errors: '1' })
    const res = await app.request('/flyer/v1/demo', jsonInit({}))
    expect(res.status).toBe(422)
    expect((await res.json()).code).toBe(40000)
  })

  it('treats malformed JSON as 40000, never as an empty body', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/demo', jsonInit('{"msgContent":'))
    const body = await res.json()
    expect(body.code).toBe(40000)
    expect(body.msg).toMatch(/Malformed JSON/)
  })

  it('answers 400 for malformed JSON when flyer_http_errors=1', async () => {
    const { app } = testApp({ flyer_http_errors: '1' })
    expect((await app.request('/flyer/v1/demo', jsonInit('nope'))).status).toBe(400)
  })

  it('takes the first X-Forwarded-For hop as clientIp', async () => {
    const { app } = testApp()
    const res = await app.request('/flyer/v1/demo', jsonInit({}, { headers: { 'x-forwarded-for': '10.1.2.3, 10.0.0.1' } }))
    expect((await res.json()).clientIp).toBe('10.1.2.3')
  })
})

describe('health check (original test_health.py)', () => {
  it.each(['/flyer/v1/health_check', '/health_check'])('GET %s answers {"msg":"success","code":200}', async (path) => {
    const { app } = testApp()
    const res = await app.request(path)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('{"msg":"success","code":200}')
  })
})
