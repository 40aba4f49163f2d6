import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { core, type Stage } from '#middleware/core.ts'
import { timeoutGuard } from '#middleware/timeout.ts'

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
