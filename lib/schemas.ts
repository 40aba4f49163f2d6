import { z } from '@hono/zod-openapi'

/**
 * The error envelope every failure answers with.
 * @example
 * { "code": 40000, "msg": "body.msgContent: Invalid input: expected string, received undefined", "logId": "…", "clientIp": "10.0.0.8" }
 */
export const ErrorEnvelope = z
  .object({
    code: z.number().int().openapi({ example: 40000, description: '40000 bad request, 40001 bad response, 40002 upstream failed, 50000 internal' }),
    msg: z.string().openapi({ example: 'body.msgContent: Invalid input: expected string, received undefined' }),
    logId: z.string().openapi({ example: '0b9a6d1e-4f7a-4a43-a0a5-5f0c2f2d2d11', description: 'The request id (X-Request-ID); search the logs for it' }),
    clientIp: z.string().openapi({ example: '10.0.0.8' }),
  })
  .openapi('ErrorEnvelope')

/** `{code, msg}` — the original's plain success reply. */
export const CodeMsg = z
  .object({ code: z.number().int().openapi({ example: 200 }), msg: z.string().openapi({ example: 'success' }) })
  .openapi('CodeMsg')

/** The health check's answer, byte for byte the original's: `{"msg":"success","code":200}`. */
export const HEALTH = { msg: 'success', code: 200 } as const

/** The original's PageInfo: offset starts at 1. */
export const PageInfo = z
  .object({ total: z.number().int(), offset: z.number().int(), size: z.number().int() })
  .openapi('PageInfo')

/**
 * A JSON response declaration in one call.
 * @example
 * responses: { 200: json(CodeMsg, 'A greeting') }
 */
export const json = <T extends z.ZodType>(schema: T, description = 'Success') => ({
  description,
  content: { 'application/json': { schema } },
})

export { z }
