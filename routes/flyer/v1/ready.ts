import { ErrorCode, envelope } from '#lib/errors.ts'
import { logger } from '#lib/logger.ts'
import { checkReadiness, DEPENDENCIES } from '#lib/readiness.ts'
import { defineRoute } from '#lib/route.ts'
import { isShuttingDown } from '#lib/shutdown.ts'
import { ErrorEnvelope, json, z } from '#lib/schemas.ts'

const State = z.enum(['ok', 'down', 'disabled']).openapi({ example: 'ok' })
const Checks = z.object({ redis: State, mysql: State, kafka: State }).openapi('ReadinessChecks')

const Ready = z
  .object({ code: z.literal(200), msg: z.literal('success'), data: Checks })
  .openapi('Ready', { example: { code: 200, msg: 'success', data: { redis: 'ok', mysql: 'ok', kafka: 'disabled' } } })

const NotReady = ErrorEnvelope.extend({ data: Checks }).openapi('NotReady')

// Probes run every few seconds: log when the set of down dependencies changes, not on every probe.
let lastDown = ''

/** Readiness: each configured dependency answers within 1 s, else HTTP 503 naming what is down. */
export const GET = defineRoute(
  {
    summary: 'Readiness check',
    description:
      'Redis PING, MySQL `SELECT 1` and Kafka metadata, each bounded by 1 s; `disabled` = not configured. ' +
      'HTTP 503 with code 50000 when a configured dependency is down, or while the worker shuts down. Stays open when basic auth is on. ' +
      '`health_check` is the liveness probe and touches no dependency.',
    tags: ['base'],
    auth: false,
    responses: { 200: json(Ready, 'Every configured dependency answers'), 503: json(NotReady, 'A dependency is down (code 50000)') },
  },
  async (c) => {
    const notReady = (msg: string, data: z.infer<typeof Checks>) => {
      c.set('code', ErrorCode.INNER_SELF_ERROR)
      c.set('msg', msg)
      return c.json({ ...envelope(c, ErrorCode.INNER_SELF_ERROR, msg), data }, 503)
    }
    const { ready, checks, errors } = await checkReadiness()
    // A stopping worker leaves the load balancer first: no new traffic while it drains.
    if (isShuttingDown()) return notReady('not ready: shutting down', checks)
    const down = DEPENDENCIES.filter((d) => checks[d] === 'down')
    const key = down.join(',')
    if (key !== lastDown) {
      if (down.length) logger().warn({ logId: c.get('requestId'), errors }, `not ready: ${down.join(', ')} down`)
      else logger().info({ logId: c.get('requestId') }, 'ready: every configured dependency answers')
      lastDown = key
    }
    if (ready) return c.json({ code: 200 as const, msg: 'success' as const, data: checks }, 200)
    return notReady(`not ready: ${down.join(', ')} down`, checks)
  },
)
