import type { MiddlewareHandler } from 'hono'
import type { z } from 'zod'
import type { Config } from './config.ts'
import { ErrorCode, errorResponse } from './errors.ts'
import { logger } from './logger.ts'
import type { FlyerRouteConfig } from './route.ts'

type Responses = FlyerRouteConfig['responses']

const schemaFor = (responses: Responses, status: number): z.ZodType | undefined => {
  const r = (responses[status] ?? responses[`${String(status)[0]}XX`] ?? responses.default) as
    | { content?: Record<string, { schema?: unknown }> }
    | undefined
  const schema = r?.content?.['application/json']?.schema
  return schema && typeof (schema as z.ZodType).safeParse === 'function' ? (schema as z.ZodType) : undefined
}

/**
 * `flyer_validate_response=1`: checks a JSON response against the schema declared for its status and
 * answers code 40001 on a mismatch. On by default in dev; costs a parse per response, so off in production.
 */
export const validateResponse = (responses: Responses, c: Config): MiddlewareHandler =>
  async function validateResponse(ctx, next) {
    await next()
    const res = ctx.res
    if (ctx.get('code') !== undefined && ctx.get('code') !== ErrorCode.IS_SUCCESS) return
    if (!res.headers.get('content-type')?.startsWith('application/json')) return
    const schema = schemaFor(responses, res.status)
    if (!schema) return
    const body = await res.clone().json().catch(() => undefined)
    const result = schema.safeParse(body)
    if (result.success) return
    const where = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    logger().error({ logId: ctx.get('requestId'), issues: result.error.issues }, 'response does not match its declared schema')
    // Cleared first: Hono's `res` setter would copy the rejected response's headers onto the envelope.
    ctx.res = undefined as never
    ctx.res = errorResponse(ctx, ErrorCode.VALIDATE_RESPONSE_CONTENT_ERROR, `Response does not match its schema: ${where}`, {
      httpErrors: c.httpErrors,
    })
  }
