import { defineRoute } from '#lib/route.ts'
import { CodeMsg, HEALTH, json } from '#lib/schemas.ts'

/** Liveness: answers as long as the worker's event loop runs. Never touches a dependency. */
export const GET = defineRoute(
  {
    summary: 'Health check',
    description: 'Liveness probe. Also served at `/health_check` for container health checks. Stays open when basic auth is on.',
    tags: ['base'],
    auth: false,
    responses: { 200: json(CodeMsg, 'Alive') },
  },
  (c) => c.json(HEALTH, 200),
)
