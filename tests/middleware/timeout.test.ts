import type { Context } from 'hono'
import { describe, expect, it, vi } from 'vitest'
import { flyerRoute } from '#lib/create-app.ts'
import { requestSignal, timeout, timeoutGuard } from '#middleware/timeout.ts'
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

  it('expires the requests past their deadline, oldest first, and never one that has finished', async () => {
    vi.useFakeTimers()
    try {
      let clock = 0
      const guard = timeoutGuard({ ms: 100, now: () => clock })
      const ctx = () => ({ set() {} }) as unknown as Context
      const outcome: Record<string, string> = {}
      const start = (name: string) => {
        const ticket = guard.begin(ctx())
        guard.wait(ticket, new Promise(() => {})).then(
          () => (outcome[name] = 'done'),
          (err: Error) => (outcome[name] = err.message),
        )
        return ticket
      }
      start('a')
      clock = 10
      const b = start('b')
      clock = 20
      start('c')
      clock = 30
      const d = start('d')
      guard.end(b) // finished in time: leaves the middle of the list
      clock = 115
      await vi.advanceTimersByTimeAsync(10)
      expect(outcome).toEqual({ a: 'Request timed out after 0.1 s' })
      guard.end(d)
      clock = 125
      await vi.advanceTimersByTimeAsync(10)
      expect(outcome).toEqual({ a: 'Request timed out after 0.1 s', c: 'Request timed out after 0.1 s' })
      clock = 1000
      await vi.advanceTimersByTimeAsync(10)
      expect(Object.keys(outcome).sort()).toEqual(['a', 'c'])
    } finally {
      vi.useRealTimers()
    }
  })
})
