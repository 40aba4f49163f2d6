import { type Context, Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { flyerRoute } from '#lib/create-app.ts'
import { defineRoute } from '#lib/route.ts'
import { core, coreHandler, type Stage } from '#middleware/core.ts'
import { requestSignal, timeoutGuard } from '#middleware/timeout.ts'
import { testApp } from '../helpers/app.ts'
import { tableOf } from '../helpers/router.ts'

/** A stage that records when it enters and leaves, and what `c.res.status` it saw on the way out. */
const recorder = (name: string, events: string[], always = false): Stage<string> => ({
  always,
  enter: () => {
    events.push(`enter ${name}`)
    return name
  },
  leave: (c, state) => {
    events.push(`leave ${state} ${c.res.status}`)
  },
})

describe('core (one middleware layer for the per-request stages)', () => {
  it('enters the stages outermost first and leaves them innermost first, like separate layers', async () => {
    const events: string[] = []
    const app = new Hono()
    app.use(core({ stages: [recorder('a', events), undefined, recorder('b', events)] }))
    app.get('/', (c) => {
      events.push('handler')
      return c.text('ok', 201)
    })
    expect((await app.request('/')).status).toBe(201)
    expect(events).toEqual(['enter a', 'enter b', 'handler', 'leave b 201', 'leave a 201'])
  })

  it("answers the guard's timeout with onError, so every stage records the envelope", async () => {
    const events: string[] = []
    const app = new Hono()
    const onError = (err: Error, c: Parameters<Parameters<typeof app.onError>[0]>[1]) => c.json({ code: 50000, msg: err.message }, 504)
    app.use(core({ stages: [recorder('outer', events)], guard: timeoutGuard({ ms: 30 }), onError }))
    app.get('/slow', async (c) => {
      await new Promise((resolve) => setTimeout(resolve, 400))
      return c.text('late')
    })
    const res = await app.request('/slow')
    expect(res.status).toBe(504)
    expect(await res.json()).toEqual({ code: 50000, msg: 'Request timed out after 0 s' })
    expect(events).toEqual(['enter outer', 'leave outer 504'])
  })

  it('leaves only the `always` stages when the app throws something that is not an Error', async () => {
    const events: string[] = []
    const app = new Hono()
    app.use(core({ stages: [recorder('metrics', events, true), recorder('log', events)] }))
    app.get('/', () => {
      throw 'not an Error'
    })
    app.onError((_err, c) => c.text('handled', 500))
    await expect(app.request('/')).rejects.toBe('not an Error')
    expect(events).toEqual(['enter metrics', 'enter log', 'leave metrics 200'])
  })

  it('refuses a guard without the onError that answers its errors, when the factory runs', () => {
    expect(() => core({ stages: [], guard: timeoutGuard({ ms: 1000 }) })).toThrow(/onError/)
  })
})

describe('coreHandler (the same stages wrapped around a handler that runs alone)', () => {
  const onError = (err: Error, c: Context) => c.json({ code: 50000, msg: err.message }, 500)

  it('answers a synchronous handler synchronously: app.fetch returns the Response itself, no promise', async () => {
    const events: string[] = []
    const wrap = coreHandler({ stages: [recorder('a', events), recorder('b', events)], guard: timeoutGuard({ ms: 1000 }), onError })
    const app = new Hono().get(
      '/',
      wrap((c) => {
        events.push('handler')
        return c.text('ok', 201)
      }),
    )
    const res = app.fetch(new Request('http://x/'))
    expect(res).toBeInstanceOf(Response)
    expect((res as Response).status).toBe(201)
    expect(events).toEqual(['enter a', 'enter b', 'handler', 'leave b 201', 'leave a 201'])
  })

  it('hands every stage the route pattern it was told, answered synchronously, later or by an error', async () => {
    const seen: (string | undefined)[] = []
    const stage: Stage<undefined> = { always: true, enter: () => undefined, leave: (_c, _s, route) => void seen.push(route) }
    const wrap = coreHandler({ stages: [stage, stage], onError })
    const app = new Hono()
      .get('/now/:id', wrap((c) => c.text('ok'), '/now/:id'))
      .get('/later', wrap(async (c) => (await Promise.resolve(), c.text('ok')), '/later'))
      .get('/boom', wrap(() => Promise.reject(new Error('boom')), '/boom'))
      .get('/untold', wrap((c) => c.text('ok')))
    for (const path of ['/now/1', '/later', '/boom', '/untold']) await app.request(path)
    expect(seen).toEqual(['/now/:id', '/now/:id', '/later', '/later', '/boom', '/boom', undefined, undefined])
  })

  it('answers what a handler throws with onError, and every stage sees the envelope', async () => {
    const events: string[] = []
    const wrap = coreHandler({ stages: [recorder('a', events)], onError })
    const app = new Hono()
      .get('/sync', wrap(() => {
        throw new Error('sync boom')
      }))
      .get('/async', wrap(async () => {
        await Promise.resolve()
        throw new Error('async boom')
      }))
    for (const path of ['/sync', '/async']) {
      const res = await app.request(path)
      expect(res.status).toBe(500)
      expect(await res.json()).toEqual({ code: 50000, msg: `${path.slice(1)} boom` })
    }
    expect(events).toEqual(['enter a', 'leave a 500', 'enter a', 'leave a 500'])
  })

  it('times out an async handler, whose signal is armed from its first line, and keeps the timeout answer', async () => {
    const events: string[] = []
    let aborted = false
    const wrap = coreHandler({ stages: [recorder('outer', events)], guard: timeoutGuard({ ms: 30 }), onError: (err, c) => c.json({ code: 50000, msg: err.message }, 504) })
    const app = new Hono().get(
      '/slow',
      wrap(async (c) => {
        requestSignal(c).addEventListener('abort', () => (aborted = true))
        await new Promise((resolve) => setTimeout(resolve, 300))
        return c.text('late')
      }),
    )
    const res = await app.request('/slow')
    expect(res.status).toBe(504)
    expect(aborted).toBe(true)
    expect(events).toEqual(['enter outer', 'leave outer 504'])
  })

  it('leaves only the `always` stages when a handler throws something that is not an Error', async () => {
    const events: string[] = []
    const wrap = coreHandler({ stages: [recorder('metrics', events, true), recorder('log', events)], onError })
    const app = new Hono().get('/', wrap(() => {
      throw 'not an Error'
    }))
    // Thrown synchronously by app.fetch, as Hono does for a lone handler.
    let thrown: unknown
    try {
      await app.request('/')
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBe('not an Error')
    expect(events).toEqual(['enter metrics', 'enter log', 'leave metrics 200'])
  })

  it('leaves only the `always` stages when an async handler rejects with something that is not an Error, with or without a guard', async () => {
    for (const guard of [undefined, timeoutGuard({ ms: 1000 })]) {
      const events: string[] = []
      const wrap = coreHandler({ stages: [recorder('metrics', events, true), recorder('log', events)], guard, onError })
      const app = new Hono().get('/', wrap(async () => {
        await Promise.resolve()
        throw 'not an Error'
      }))
      await expect(app.request('/')).rejects.toBe('not an Error')
      expect(events).toEqual(['enter metrics', 'enter log', 'leave metrics 200'])
    }
  })
})

describe('routes in createApp: the core per route, alone where it can be', () => {
  it('answers a route without inputs (the health check) synchronously, and one with inputs through its chain', async () => {
    const { app, logs } = testApp()
    const health = app.fetch(new Request('http://x/flyer/v1/health_check', { headers: { 'X-Request-ID': 'h-1' } }))
    expect(health).toBeInstanceOf(Response)
    expect((health as Response).headers.get('x-request-id')).toBe('h-1')
    const demo = await app.fetch(new Request('http://x/flyer/v1/demo/ops', { headers: { 'X-Request-ID': 'd-1' } }))
    expect(demo.headers.get('x-request-id')).toBe('d-1')
    expect(logs.access.map((l) => [l.logId, l.status])).toEqual([['h-1', 200], ['d-1', 200]])
  })

  it('guards a route without inputs when basic auth is on (then it runs through auth)', async () => {
    const router = tableOf([{ method: 'get', path: '/secret', def: defineRoute({ responses: { 200: { description: 'ok' } } }, (c) => c.json({ code: 200, msg: 'secret' })) }])
    const { app, logs } = testApp({ flyer_auth_enable: '1', flyer_auth_user: 'ops', flyer_auth_pass: 'pw' }, { router })
    expect((await app.request('/flyer/v1/secret')).status).toBe(401)
    const ok = await app.request('/flyer/v1/secret', { headers: { Authorization: `Basic ${btoa('ops:pw')}` } })
    expect(await ok.json()).toEqual({ code: 200, msg: 'secret' })
    expect(logs.access.map((l) => l.status)).toEqual([401, 200])
  })

  it('adds the core to a route added by hand with flyerRoute()', async () => {
    const { app, logs } = testApp()
    app.get('/by-hand', ...flyerRoute(app, (c) => c.json({ code: 200, msg: 'hand' })))
    const res = await app.request('/by-hand', { headers: { 'X-Request-ID': 'hand-1' } })
    expect(res.headers.get('x-request-id')).toBe('hand-1')
    expect(logs.access.at(-1)).toMatchObject({ logId: 'hand-1', Url: expect.stringContaining('/by-hand') })
    expect(() => flyerRoute(new Hono(), (c) => c.text('x'))).toThrow(/createApp/)
  })
})
