import type { Context } from 'hono'
import type { FlyerResponse } from './native-headers.ts'

/**
 * Set on `FlyerResponse.prototype` (native-headers.ts). The middleware find the Node response by this
 * brand instead of `instanceof`, so this module — which every runtime loads — does not import node:http:
 * on Bun, which serves without it, loading node:http cost ~25 ms of a worker's start (measured).
 */
export const FLYER_RESPONSE = Symbol.for('flyer.response')

/** The Node response when the app runs under `serveNode` (which then writes the headers), else undefined. */
export const nativeResponse = (env: unknown): FlyerResponse | undefined => {
  const outgoing = (env as { outgoing?: { [FLYER_RESPONSE]?: true } } | undefined)?.outgoing
  return outgoing?.[FLYER_RESPONSE] === true ? (outgoing as unknown as FlyerResponse) : undefined
}

/**
 * Sets headers on the finished response in place. `c.header()` after `await next()` would rebuild the
 * Response (body turned into a stream); its own Headers are mutable unless it came from `fetch()`.
 */
export const setFinalHeaders = (c: Context, headers: Record<string, string>): void => {
  let target = c.res.headers
  try {
    for (const name in headers) target.set(name, headers[name]!)
  } catch {
    // An immutable Response (proxied from fetch): copy it once, then set.
    c.res = new Response(c.res.body, c.res)
    target = c.res.headers
    for (const name in headers) target.set(name, headers[name]!)
  }
}
