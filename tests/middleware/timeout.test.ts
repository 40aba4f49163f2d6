import { describe, expect, it } from 'vitest'
import { flyerRoute } from '#lib/create-app.ts'
import { requestSignal, timeout } from '#middleware/timeout.ts'
import { testApp } from '../helpers/app.ts'

/** The real app with flyer_timeout=1 and a handler that waits on its signal. */
const appWithSlowRoute = (env: Record<string, string> = {}) => {
  const t = testApp({ flyer_timeout: '1', ...env })
  const seen: { aborted?: boolean; reason?: unknown } = {}
  t.app.get(
    '/slow',
    ...flyerRoute(t.app, async (c) => {
    const signal = requestSignal(c)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(c.req.query('ms')))
      signal.addEventListener('abort', () => {
        clearTimeout(timer)
        seen.aborted = true
        seen.reason = signal.reason
        resolve()
      })
    })
    return c.json({ code: 200, msg: 'done' })
    }),
  )
  return { ...t, seen }
}

describe('timeout (flyer_timeout)', () => {
  it('answers code 50000 with HTTP 200 after flyer_timeout and aborts the handler signal', async () => {
    const { app, seen, logs } = appWithSlowRoute()
    const res = await app.request('/slow?ms=5000', { headers: { 'X-Request-ID': 'slow-1' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ code: 50000, msg: 'Request timed out after 1 s', logId: 'slow-1', clientIp: '' })
    expect(seen.aborted).toBe(true)
    expect(String(seen.reason)).toContain('timed out')
    expect(logs.access.at(-1)).toMatchObject({ code: 50000, logId: 'slow-1' })
    expect(logs.errors.some((e) => (e.obj as { logId?: string }).logId === 'slow-1')).toBe(true)
  })

  it('answers 504 when flyer_http_errors=1', async () => {
    const { app } = appWithSlowRoute({ flyer_http_errors: '1' })
    const res = await app.request('/slow?ms=5000')
    expect(res.status).toBe(504)
    expect(await res.json()).toMatchObject({ code: 50000 })
  })

  it('leaves a request that finishes in time alone', async () => {
    const { app, seen } = appWithSlowRoute()
    const res = await app.request('/slow?ms=10')
    expect(await res.json()).toEqual({ code: 200, msg: 'done' })
    expect(seen.aborted).toBeUndefined()
  })

  it('refuses a timeout that is not a positive number when the factory runs', () => {
    expect(() => timeout({ ms: 0 })).toThrow(/positive/)
  })
})
