import type { MiddlewareHandler } from 'hono'
import { basicAuth as honoBasicAuth } from 'hono/basic-auth'
import { HTTPException } from 'hono/http-exception'
import { ErrorCode, errorResponse } from '#lib/errors.ts'

export interface BasicAuthOptions {
  user: string
  pass: string
  /** Paths that stay open (health checks, readiness, routes with `auth: false`). Everything else needs credentials. */
  isOpen: (path: string) => boolean
  realm?: string
}

/**
 * Basic auth over the whole app except the `open` paths, via Hono's basicAuth (constant-time compare).
 * Every failure (missing header, bad base64, no colon, wrong user or password) is the same 401.
 * @example
 * app.use(basicAuth({ user: 'ops', pass: 's3cret', isOpen: (p) => p === '/health_check' }))
 */
export const basicAuth = ({ user, pass, isOpen, realm = 'Flyer' }: BasicAuthOptions): MiddlewareHandler => {
  if (!user || !pass) throw new Error('basicAuth needs a user and a password: set flyer_auth_user and flyer_auth_pass')
  const check = honoBasicAuth({ username: user, password: pass, realm })
  const challenge = { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` }
  return async function basicAuth(c, next) {
    if (isOpen(c.req.path)) return next()
    try {
      return await check(c, next)
    } catch (err) {
      // Hono's basicAuth throws a plain-text 401: answer the envelope with the same challenge instead.
      if (err instanceof HTTPException && err.status === 401) {
        return errorResponse(c, ErrorCode.AUTH_REQUIRED, 'Unauthorized', { status: 401, headers: challenge, httpErrors: true })
      }
      throw err
    }
  }
}
