import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json, z } from '#lib/schemas.ts'

/** GET {prefix}/demo/{name} — the dynamic-segment example: `[name].ts` is the `{name}` parameter. */
export const GET = defineRoute(
  {
    summary: 'Say hello to a path parameter',
    request: { params: z.object({ name: z.string().min(1).max(64).openapi({ example: 'Flyer' }) }) },
    responses: { 200: json(CodeMsg, 'A greeting') },
  },
  (c) => c.json({ code: 200, msg: `Hello ${c.req.valid('param').name}!` }, 200),
)
