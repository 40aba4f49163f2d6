import { defineRoute } from '#lib/route.ts'
import { ErrorEnvelope, json } from '#lib/schemas.ts'
import { createHost, listHosts } from './_repo.ts'
import { HostCreate, HostPage, HostQuery, HostReply } from './_schemas.ts'

export const meta = { tag: 'hosts' }

const unavailable = { 503: json(ErrorEnvelope, 'MySQL is not configured (code 50000)') }

/**
 * GET {prefix}/hosts?offset=1&size=50&tag=web — one page of the inventory, the original's DataResponse:
 * `{code, msg, data: [...], pagination: {total, offset, size}}`.
 */
export const GET = defineRoute(
  {
    summary: 'List hosts',
    description: 'Pages start at `offset=1`; `size` defaults to 50 (at most 200). Filter by `tag` and by `hostname` prefix.',
    request: { query: HostQuery },
    responses: { 200: json(HostPage, 'A page of hosts'), ...unavailable },
  },
  async (c) => {
    const { offset, size, tag, hostname } = c.req.valid('query')
    const { hosts, total } = await listHosts({ tag, hostname }, offset, size)
    return c.json({ code: 200, msg: 'success', data: hosts, pagination: { total, offset, size } }, 200)
  },
)

/**
 * POST {prefix}/hosts — adds a host; its `host.created` event is written in the same transaction and
 * published to `flyer_kafka_topic` by the outbox relay.
 */
export const POST = defineRoute(
  {
    summary: 'Add a host',
    description: 'A taken ip answers code 40009 with HTTP 409.',
    request: { body: { required: true, content: { 'application/json': { schema: HostCreate } } } },
    responses: { 200: json(HostReply, 'The stored host'), 409: json(ErrorEnvelope, 'The ip exists (code 40009)'), ...unavailable },
  },
  async (c) => {
    const host = await createHost(c.req.valid('json'), c.get('requestId'))
    return c.json({ code: 200, msg: 'success', data: host }, 200)
  },
)
