import type { MiddlewareHandler } from 'hono'
import { nativeResponse, setFinalHeaders } from '#lib/final-headers.ts'
import { type Stage, stageMiddleware } from './core.ts'

export interface RequestIdOptions {
  header?: string
  /** Incoming ids longer than this, or with other characters than `[A-Za-z0-9._:-]`, are replaced. */
  maxLength?: number
  /**
   * Makes a new id. The default is `crypto.randomUUID()`: random v4 UUIDs stay unique across workers and
   * hosts with no coordination, and Node draws them from a pre-filled entropy cache (well under a
   * microsecond each), so a cheaper counter-based scheme would buy nothing measurable.
   */
  generate?: () => string
}

/**
 * The request-id stage of `core()`: reuses a well-formed incoming X-Request-ID, else makes a UUID, and
 * makes it the logId. Under `serveNode` the header is written by the server (`lib/native-headers.ts`),
 * else it is set on the finished response.
 */
export const requestIdStage = ({ header = 'X-Request-ID', maxLength = 128, generate = () => crypto.randomUUID() }: RequestIdOptions = {}): Stage<string> => {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new TypeError(`requestId: maxLength must be a whole number above 0, got ${maxLength}`)
  // Written into the header block as is under serveNode (lib/native-headers.ts): an HTTP token only.
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) throw new TypeError(`requestId: header must be an HTTP header name, got ${JSON.stringify(header)}`)
  const valid = new RegExp(`^[A-Za-z0-9._:-]{1,${maxLength}}$`)
  const lower = header.toLowerCase()
  return {
    enter(c) {
      const native = nativeResponse(c.env)
      // node:http already parsed the request headers into a plain object: read it there.
      const incoming = native ? native.req.headers[lower] : c.req.header(header)
      const id = typeof incoming === 'string' && valid.test(incoming) ? incoming : generate()
      c.set('requestId', id)
      if (native) {
        native.requestId = id
        native.requestIdHeader = lower
      }
      return id
    },
    leave(c, id) {
      if (!nativeResponse(c.env)) setFinalHeaders(c, { [header]: id })
    },
  }
}

/**
 * Reuses a well-formed incoming X-Request-ID, else makes a UUID; sends it back and makes it the logId.
 * `createApp` runs it as a stage of `core()`; this is the same as a middleware of its own.
 * @example
 * app.use(requestId())
 */
export const requestId = (options: RequestIdOptions = {}): MiddlewareHandler => stageMiddleware('requestId', requestIdStage(options))
