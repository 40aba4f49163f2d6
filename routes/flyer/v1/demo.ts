import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json, z } from '#lib/schemas.ts'

const DemoRequest = z.object({
  msgContent: z.string().min(1).max(256).openapi({ example: 'Flyer', description: 'Who to greet' }),
})

/**
 * POST {prefix}/demo — the original's demo: `{"msgContent":"Flyer"}` → `{"code":200,"msg":"Hello Flyer!"}`.
 * Copy this file anywhere under `routes/` and run `npm run routes`: its path becomes the URL.
 */
export const POST = defineRoute(
  {
    summary: 'Say hello',
    description: 'The demo endpoint: validates the body and greets `msgContent`.',
    request: { body: { required: true, content: { 'application/json': { schema: DemoRequest } } } },
    responses: { 200: json(CodeMsg, 'A greeting') },
  },
  (c) => {
    const { msgContent } = c.req.valid('json')
    return c.json({ code: 200, msg: `Hello ${msgContent}!` }, 200)
  },
)
