import type { MiddlewareHandler } from 'hono'

export interface RequestIdOptions {
  header?: string
  /** Incoming ids longer than this, or with other characters than `[A-Za-z0-9._:-]`, are replaced. */
  maxLength?: number
  generate?: () => string
}

/**
 * Reuses a well-formed incoming X-Request-ID, else makes a UUID; sends it back and makes it the logId.
 * @example
 * app.use(requestId())
 */
export const requestId = ({ header = 'X-Request-ID', maxLength = 128, generate = () => crypto.randomUUID() }: RequestIdOptions = {}): MiddlewareHandler => {
  const valid = new RegExp(`^[A-Za-z0-9._:-]{1,${maxLength}}$`)
  return async function requestId(c, next) {
    const incoming = c.req.header(header)
    const id = incoming && valid.test(incoming) ? incoming : generate()
    c.set('requestId', id)
    c.header(header, id)
    await next()
  }
}
