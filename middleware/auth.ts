import type { MiddlewareHandler } from 'hono'
import { basicAuth as honoBasicAuth } from 'hono/basic-auth'
import { ErrorCode, envelope } from '#lib/errors.ts'

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
  const check = honoBasicAuth({
    username: user,
    password: pass,
    realm,
    invalidUserMessage: (c) => {
      c.set('code', ErrorCode.AUTH_REQUIRED)
      c.set('msg', 'Unauthorized')
      return envelope(c, ErrorCode.AUTH_REQUIRED, 'Unauthorized')
    },
  })
  return async function basicAuth(c, next) {
    if (isOpen(c.req.path)) return next()
    return check(c, next)
  }
}
