import { ErrorCode, FlyerError } from '#lib/errors.ts'
import { defineRoute } from '#lib/route.ts'
import { CodeMsg, ErrorEnvelope, json } from '#lib/schemas.ts'
import { fill, invalidate, lookup } from './_cache.ts'
import { deleteHost, findHost, updateHost } from './_repo.ts'
import { HostReply, HostUpdate, IpParam } from './_schemas.ts'

export const meta = { tag: 'hosts' }

const errors = {
  404: json(ErrorEnvelope, 'No such host (code 40004)'),
  503: json(ErrorEnvelope, 'MySQL is not configured (code 50000)'),
}

/** GET {prefix}/hosts/{ip} — cache-aside through Redis; `X-Cache: HIT` or `MISS` says where it came from. */
export const GET = defineRoute(
  {
    summary: 'Get a host',
    description: 'Served from Redis when cached (`X-Cache: HIT`), else from MySQL (`X-Cache: MISS`). Redis down → MySQL.',
    request: { params: IpParam },
    responses: { 200: { ...json(HostReply, 'The host'), headers: { 'X-Cache': { schema: { type: 'string', enum: ['HIT', 'MISS'] } } } }, ...errors },
  },
  async (c) => {
    const { ip } = c.req.valid('param')
    const cached = await lookup(ip)
    if (cached.hit) {
      c.header('X-Cache', 'HIT')
      return c.json({ code: 200, msg: 'success', data: cached.host }, 200)
    }
    const host = await findHost(ip)
    if (!host) throw new FlyerError(ErrorCode.RESOURCE_NOT_FOUND, `No host with ip ${ip}`, { status: 404 })
    await fill(ip, cached.version, host)
    c.header('X-Cache', 'MISS')
    return c.json({ code: 200, msg: 'success', data: host }, 200)
  },
)

/** PUT {prefix}/hosts/{ip} — changes hostname, tags and/or comment; the cached copy is dropped before the answer. */
export const PUT = defineRoute(
  {
    summary: 'Update a host',
    request: { params: IpParam, body: { required: true, content: { 'application/json': { schema: HostUpdate } } } },
    responses: { 200: json(HostReply, 'The updated host'), ...errors },
  },
  async (c) => {
    const { ip } = c.req.valid('param')
    const host = await updateHost(ip, c.req.valid('json'), c.get('requestId'))
    await invalidate(ip)
    return c.json({ code: 200, msg: 'success', data: host }, 200)
  },
)

/** DELETE {prefix}/hosts/{ip} — removes the host; the cached copy is dropped before the answer. */
export const DELETE = defineRoute(
  {
    summary: 'Delete a host',
    request: { params: IpParam },
    responses: { 200: json(CodeMsg, 'Deleted'), ...errors },
  },
  async (c) => {
    const { ip } = c.req.valid('param')
    await deleteHost(ip, c.get('requestId'))
    await invalidate(ip)
    return c.json({ code: 200, msg: 'success' }, 200)
  },
)
