import type { Context, ErrorHandler, Handler, MiddlewareHandler, Next } from 'hono'

/**
 * One concern of the core middleware: bookkeeping before the app runs and after it answered.
 * `enter`'s return value comes back to `leave` (a start time, an id), so a stage keeps no per-request
 * state of its own.
 */
export interface Stage<S = unknown> {
  enter(c: Context): S
  /**
   * After the app answered; inner stages leave first. Skipped when `next()` threw, unless `always`.
   * `route`: the route's pattern as Hono routes it (`/flyer/v1/hosts/:ip`), when the core was wrapped
   * around one route's handler and told it at registration (`coreHandler`); else undefined.
   */
  leave(c: Context, state: S, route?: string): void
  /** Leave even when `next()` threw (metrics counts every request, and its in-flight gauge must drop). */
  always?: boolean
}

/** A deadline around the rest of the app (the timeout): started before it runs, raced while it works. */
export interface Guard<T = unknown> {
  /** Before the handler runs (which may ask for the request's abort signal at once). */
  begin(c: Context): T
  /** Settles with `work`, or rejects with the guard's error at the deadline. */
  wait(ticket: T, work: Promise<unknown>): Promise<void>
  /** The handler answered synchronously: nothing to wait for. */
  end(ticket: T): void
}

export interface CoreOptions {
  /** Outermost first, as separate `app.use()` calls would be registered; `undefined` entries are skipped. */
  // `any`: each stage's state type is its own, and core only hands it back to that stage.
  stages: readonly (Stage<any> | undefined)[]
  /** Innermost, around everything after the core. */
  // `any`: the ticket type is the guard's own, and core only hands it back to it.
  guard?: Guard<any>
  /** The app's error handler: answers an error the guard rejects with (the timeout's envelope). */
  onError?: ErrorHandler
}

/** `coreHandler`'s result: wraps a handler, optionally told the route pattern it is registered under. */
export type Wrap = <H extends Handler<any, any, any>>(handler: H, route?: string) => H

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
export const core = (options: CoreOptions): MiddlewareHandler => {
  const { enter, leave, answer } = pipeline(options, 'core')
  const { guard } = options
  return async function core(c, next) {
    const states = enter(c)
    let threw = true
    try {
      if (!guard) await next()
      else {
        try {
          await guard.wait(guard.begin(c), next())
        } catch (err) {
          c.res = await answer(c, err)
        }
      }
      threw = false
    } finally {
      leave(c, states, threw)
    }
  }
}

/** `f(value)`, after `value` settles when it is a promise. */
const then = <T, R>(value: T | Promise<T>, f: (v: T) => R): R | Promise<R> => (value instanceof Promise ? value.then(f) : f(value))

/** What `core()` and `coreHandler()` share: the stages' enter and leave, and errors answered as Hono's compose answers them. */
const pipeline = ({ stages, guard, onError }: CoreOptions, name: string) => {
  const list = stages.filter((s) => s !== undefined)
  if (guard && !onError) throw new TypeError(`${name}: a guard needs the app’s onError to answer its errors`)
  const n = list.length
  return {
    /** Outermost first; each stage's state, for its `leave`. */
    enter(c: Context): unknown[] {
      const states = new Array<unknown>(n)
      for (let i = 0; i < n; i++) states[i] = list[i]!.enter(c)
      return states
    },
    /** Innermost first; after an error only the `always` stages. */
    leave(c: Context, states: unknown[], threw: boolean, route?: string): void {
      for (let i = n - 1; i >= 0; i--) {
        const stage = list[i]!
        if (!threw || stage.always) stage.leave(c, states[i], route)
      }
    },
    /** An Error gets the app's envelope (`onError`); anything else propagates. */
    answer(c: Context, err: unknown): Response | Promise<Response> {
      if (!(err instanceof Error) || !onError) throw err
      c.error = err
      return onError(err, c)
    },
  }
}

/**
 * The same stages and guard as `core()`, wrapped around one terminal handler instead of run as a
 * middleware layer. A route with no validators or middleware of its own is then the only handler Hono
 * matches, so Hono calls it directly (no compose), and a handler that answers synchronously (`c.json()`)
 * is answered with no promise at all: stages enter, the handler runs, stages leave. A synchronous handler
 * cannot outlive `flyer_timeout`, so the guard only races a handler that returned a promise. Errors are
 * answered with `onError`, as Hono's compose would have answered them at the handler's layer. `route`,
 * the pattern the handler is registered under, is handed to every stage's `leave` (the metrics label,
 * known once instead of looked up per request).
 * @example
 * const wrap = coreHandler({ stages: [requestIdStage()], guard: timeoutGuard({ ms: 60_000 }), onError })
 * app.get('/health_check', wrap((c) => c.json(HEALTH), '/health_check'))
 */
export const coreHandler = (options: CoreOptions): Wrap => {
  const { enter, leave, answer } = pipeline(options, 'coreHandler')
  const { guard } = options
  /**
   * A handler that returned a promise: its answer (or its error's envelope) once it settles, raced
   * against the guard; then the stages leave. Promise callbacks rather than two nested async functions:
   * a validated POST takes this path, and the async version left ~0.6 KB more garbage per request
   * (19.5–19.8 KB → 19.1 KB a request, read off `--trace-gc` in process).
   */
  const settle = (c: Context, pending: Promise<unknown>, states: unknown[], ticket: unknown, route: string | undefined): Promise<Response> => {
    // A handler finishing after its timeout was answered: that answer stands.
    let timedOut = false
    const keep = (res: unknown) => {
      if (res !== undefined && !timedOut) c.res = res as Response
    }
    const finish = pending.then(keep, (err: unknown) => then(answer(c, err), keep))
    const guarded = guard
      ? guard.wait(ticket, finish).then(undefined, (err: unknown) => {
          timedOut = true
          return then(answer(c, err), (res) => {
            c.res = res
          })
        })
      : finish
    return guarded.then(
      () => {
        leave(c, states, false, route)
        return c.res
      },
      (err: unknown) => {
        leave(c, states, true, route)
        throw err
      },
    )
  }
  return <H extends Handler<any, any, any>>(handler: H, route?: string): H =>
    function flyerHandler(c: Context, next: Next) {
      const states = enter(c)
      const ticket = guard?.begin(c)
      let res: unknown
      try {
        res = handler(c, next)
      } catch (err) {
        try {
          res = answer(c, err)
        } catch (fatal) {
          guard?.end(ticket)
          leave(c, states, true, route)
          throw fatal
        }
      }
      if (res instanceof Promise) return settle(c, res, states, ticket, route)
      guard?.end(ticket)
      if (res !== undefined) c.res = res as Response
      leave(c, states, false, route)
      return c.res
    } as unknown as H
}
