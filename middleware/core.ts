import type { Context, ErrorHandler, MiddlewareHandler, Next } from 'hono'

/**
 * One concern of the core middleware: bookkeeping before the app runs and after it answered.
 * `enter`'s return value comes back to `leave` (a start time, an id), so a stage keeps no per-request
 * state of its own.
 */
export interface Stage<S = unknown> {
  enter(c: Context): S
  /** After the app answered; inner stages leave first. Skipped when `next()` threw, unless `always`. */
  leave(c: Context, state: S): void
  /** Leave even when `next()` threw (metrics counts every request, and its in-flight gauge must drop). */
  always?: boolean
}

/** Wraps the rest of the app in a promise of its own (the timeout's race against the deadline). */
export interface Guard {
  run(c: Context, next: Next): Promise<void>
}

export interface CoreOptions {
  /** Outermost first, as separate `app.use()` calls would be registered; `undefined` entries are skipped. */
  // `any`: each stage's state type is its own, and core only hands it back to that stage.
  stages: readonly (Stage<any> | undefined)[]
  /** Innermost, around everything after the core. */
  guard?: Guard
  /** The app's error handler: answers an error the guard rejects with (the timeout's envelope). */
  onError?: ErrorHandler
}

/**
 * A stage as a middleware of its own (what the per-concern factories return, for apps composing
 * them by hand).
 */
export const stageMiddleware = <S>(name: string, stage: Stage<S>): MiddlewareHandler => {
  const run = async (c: Context, next: Next) => {
    const state = stage.enter(c)
    if (!stage.always) {
      await next()
      stage.leave(c, state)
      return
    }
    try {
      await next()
    } finally {
      stage.leave(c, state)
    }
  }
  Object.defineProperty(run, 'name', { value: name })
  return run
}

/**
 * Request id, metrics, timing, access log and timeout in ONE middleware layer. Each Hono layer costs a
 * dispatch, a closure and an awaited promise per request; five of them were a sixth of a health check's
 * CPU. The stages run in the order separate `app.use()` calls would: `enter` outermost first, `leave`
 * innermost first, then the guard. A guard's rejection is answered by `onError` here, as Hono's compose
 * would have answered it at the guard's own layer, so the stages outside it still see the envelope.
 * @example
 * app.use(core({ stages: [requestIdStage(), timingStage()], guard: timeoutGuard({ ms: 60_000 }), onError }))
 */
export const core = ({ stages, guard, onError }: CoreOptions): MiddlewareHandler => {
  const list = stages.filter((s) => s !== undefined)
  if (guard && !onError) throw new TypeError('core: a guard needs the app’s onError to answer its errors')
  const n = list.length
  return async function core(c, next) {
    const states = new Array<unknown>(n)
    for (let i = 0; i < n; i++) states[i] = list[i]!.enter(c)
    let threw = true
    try {
      if (!guard) await next()
      else {
        try {
          await guard.run(c, next)
        } catch (err) {
          // What Hono's compose does with an Error a layer throws; anything else propagates.
          if (!(err instanceof Error)) throw err
          c.error = err
          c.res = await onError!(err, c)
        }
      }
      threw = false
    } finally {
      for (let i = n - 1; i >= 0; i--) {
        const stage = list[i]!
        if (!threw || stage.always) stage.leave(c, states[i])
      }
    }
  }
}
