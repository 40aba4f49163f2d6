import type { Context } from 'hono'

/**
 * The original's response codes. Clients read `code`, not the HTTP status.
 * New codes only with a reason beside them; `tests/lib/errors.test.ts` checks each is unique and in the README.
 */
export const ErrorCode = {
  IS_SUCCESS: 200,
  VALIDATE_REQUEST_PARAMS_ERROR: 40000,
  VALIDATE_RESPONSE_CONTENT_ERROR: 40001,
  /** An upstream service (HTTP, MySQL, Redis, Kafka) failed or timed out. */
  VALIDATE_RESPONSE_CODE_ERROR: 40002,
  /** Added: credentials missing or wrong (the original had no auth); sent with HTTP 401. */
  AUTH_REQUIRED: 40003,
  /** Added: no such record (the original had no not-found code; ops clients need to tell it from a failure). */
  RESOURCE_NOT_FOUND: 40004,
  /** Added: the record already exists (duplicate key), so retrying the create cannot help. */
  RESOURCE_CONFLICT: 40009,
  INNER_SELF_ERROR: 50000,
} as const

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]

/** The HTTP status used for a code when `flyer_http_errors=1` (and always for 404/405/413/401/503). */
export const httpStatusFor: Record<ErrorCodeValue, number> = {
  200: 200,
  40000: 422,
  40001: 500,
  40002: 502,
  40003: 401,
  40004: 404,
  40009: 409,
  50000: 500,
}

export interface FlyerErrorOptions {
  cause?: unknown
  /** The HTTP status to answer with, whatever `flyer_http_errors` says (401, 404, 405, 413, 503…). */
  status?: number
  /** The HTTP status when `flyer_http_errors=1` only (e.g. 400 for malformed JSON); else HTTP 200. */
  httpStatus?: number
  /** Extra response headers (Allow, WWW-Authenticate, Retry-After). */
  headers?: Record<string, string>
  /** Safe to show the message to clients? For 50000 it is replaced by a generic text unless set. */
  expose?: boolean
}

/**
 * An error that becomes the error envelope.
 * @example
 * throw new FlyerError(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, 'upstream CMDB answered 503', { cause })
 */
export class FlyerError extends Error {
  readonly code: ErrorCodeValue
  readonly status: number | undefined
  readonly httpStatus: number | undefined
  readonly headers: Record<string, string> | undefined
  readonly expose: boolean

  constructor(code: ErrorCodeValue, message: string, options: FlyerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FlyerError'
    this.code = code
    this.status = options.status
    this.httpStatus = options.httpStatus
    this.headers = options.headers
    this.expose = options.expose ?? code !== ErrorCode.INNER_SELF_ERROR
  }
}

/** The error envelope every failure path answers with. */
export interface Envelope {
  code: number
  msg: string
  logId: string
  clientIp: string
}

export const GENERIC_500 = 'Internal server error, see the server log for this logId'

/** The client address: the first X-Forwarded-For hop, else the peer address. */
export const clientIp = (c: Context): string => {
  const cached = c.get('clientIp')
  if (cached !== undefined) return cached
  // Under @hono/node-server, node:http's own parsed header object is cheaper than a Headers lookup.
  const incoming = (c.env as { incoming?: { headers?: Record<string, string | string[] | undefined> } } | undefined)?.incoming?.headers
  const xff = incoming ? incoming['x-forwarded-for'] : c.req.header('x-forwarded-for')
  let ip = typeof xff === 'string' && xff ? xff.split(',', 1)[0]!.trim().slice(0, 64) : ''
  if (!ip) ip = peerAddress(c)
  c.set('clientIp', ip)
  return ip
}

const peerAddress = (c: Context): string => {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; requestIP?: (r: Request) => { address: string } | null } | undefined
  const fromNode = env?.incoming?.socket?.remoteAddress
  if (fromNode) return fromNode
  try {
    // Bun passes its server as env; requestIP lives there.
    const fromBun = env?.requestIP?.(c.req.raw)?.address
    if (fromBun) return fromBun
  } catch {
    // not Bun
  }
  return ''
}

/**
 * Builds the error envelope, the one place that does.
 * @example
 * return c.json(envelope(c, ErrorCode.VALIDATE_REQUEST_PARAMS_ERROR, 'body.ip: invalid IP address'), 200)
 */
export const envelope = (c: Context, code: number, msg: string): Envelope => ({
  code,
  msg,
  logId: c.get('requestId') ?? '',
  clientIp: clientIp(c),
})

/**
 * Answers with the envelope. `status` defaults to 200 for the original's clients, or to the code's own
 * status when `flyer_http_errors=1`; an explicit status (404, 405, 413, 401, 503) always wins.
 */
export const errorResponse = (
  c: Context,
  code: ErrorCodeValue,
  msg: string,
  { status, headers, httpErrors }: { status?: number; headers?: Record<string, string>; httpErrors: boolean },
): Response => {
  const s = status ?? (httpErrors ? httpStatusFor[code] : 200)
  c.set('code', code)
  c.set('msg', msg)
  if (headers) for (const [k, v] of Object.entries(headers)) c.header(k, v)
  return c.json(envelope(c, code, msg), s as 200)
}

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string
    clientIp: string
    /** The envelope code of the response, for the access log and metrics. */
    code: number
    msg: string
  }
}
