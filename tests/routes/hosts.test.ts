import { createServer, type Server } from 'node:net'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { afterAll, beforeAll, describe as plainDescribe, expect, it } from 'vitest'
import { createKafka } from '#lib/kafka.ts'
import { openSession, type Session } from '#lib/mysql.ts'
import { startOutboxRelay, type OutboxRelay } from '#lib/outbox.ts'
import { createRedis, type Redis } from '#lib/redis.ts'
import { closeAll } from '#lib/shutdown.ts'
import { jsonInit, testApp } from '../helpers/app.ts'
import { headersOf, startMockKafka, type MockKafka } from '../helpers/kafka.ts'
import { createTestDatabase, mysqlEnv, needServices, quietLogs, randomName, randomRedisDb, REDIS, redisEnv, useServicesEnv } from '../helpers/services.ts'

const { describe } = await needServices('mysql', 'redis', 'kafka')
const silent = pino({ level: 'silent' })

describe('hosts routes against MariaDB, Redis and the mock Kafka broker', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let kafka: MockKafka
  let relay: OutboxRelay
  let sql: Session
  let cache: Redis
  let env: Record<string, string>
  const redisDb = randomRedisDb()
  const topic = randomName('flyer_hosts')

  beforeAll(async () => {
    quietLogs()
    database = await createTestDatabase()
    kafka = await startMockKafka(topic)
    ;({ env } = useServicesEnv({
      ...mysqlEnv(database.name),
      ...redisEnv(redisDb),
      flyer_kafka_servers: kafka.broker,
      flyer_kafka_topic: topic,
      flyer_http_errors: '0',
      // Every answer is checked against its declared schema (code 40001 if not).
      flyer_validate_response: '1',
    }))
    relay = startOutboxRelay({ db: database.options, publisher: () => createKafka({ brokers: [kafka.broker], topic, log: silent }), log: silent, pollMs: 100 })
    sql = await openSession(database.options)
    cache = createRedis({ ...REDIS, db: redisDb })
  })

  afterAll(async () => {
    await relay?.stop()
    await closeAll()
    await sql?.close()
    if (cache && database) {
      const stale = await cache.keys(`flyer:${database.name}:*`)
      if (stale.length) await cache.del(...stale)
    }
    cache?.disconnect()
    await kafka?.stop()
    await database?.drop()
  })

  const app = () => testApp(env).app
  const create = (body: unknown) => app().request('/flyer/v1/hosts', jsonInit(body))

  it('creates a host, stores it in MariaDB and answers it back', async () => {
    const res = await create({ ip: '10.1.0.1', hostname: 'Web-1.dc1', tags: ['web', 'dc1', 'web'], comment: 'rack 12' })
    const body = await res.json()
    expect(body.code).toBe(200)
    expect(body.data).toMatchObject({ ip: '10.1.0.1', hostname: 'web-1.dc1', tags: ['dc1', 'web'], comment: 'rack 12' })
    const rows = await sql.query<{ hostname: string; tags: string }>('SELECT hostname, tags FROM hosts WHERE ip = ?', ['10.1.0.1'])
    expect(rows).toEqual([{ hostname: 'web-1.dc1', tags: '["dc1","web"]' }])
    const tags = await sql.query<{ tag: string }>('SELECT t.tag FROM host_tags t JOIN hosts h ON h.id = t.host_id WHERE h.ip = ? ORDER BY t.tag', ['10.1.0.1'])
    expect(tags.map((t) => t.tag)).toEqual(['dc1', 'web'])
  })

  it('answers a duplicate ip with code 40009 and HTTP 409, leaving the first row alone', async () => {
    await create({ ip: '10.1.0.2', hostname: 'a' })
    const res = await create({ ip: '10.1.0.2', hostname: 'b' })
    expect(res.status).toBe(409)
    const body = await res.json()
    expect(body).toMatchObject({ code: 40009, msg: 'A host with ip 10.1.0.2 already exists' })
    expect(body.logId).toBe(res.headers.get('x-request-id'))
    expect(await sql.query('SELECT hostname FROM hosts WHERE ip = ?', ['10.1.0.2'])).toEqual([{ hostname: 'a' }])
  })

  it.each([
    [{ ip: '10.1.0.300', hostname: 'x' }, 'body.ip'],
    [{ ip: 'fe80::1%eth0', hostname: 'x' }, 'body.ip'],
    [{ ip: '10.1.0.3', hostname: '-bad-' }, 'body.hostname'],
    [{ ip: '10.1.0.3', hostname: 'x', tags: ['has space'] }, 'body.tags.0'],
  ])('rejects %j with code 40000 naming %s', async (input, field) => {
    const body = await (await create(input)).json()
    expect(body.code).toBe(40000)
    expect(body.msg).toContain(field)
  })

  it('stores IPv6 in canonical form and finds it by any spelling', async () => {
    const body = await (await create({ ip: '2001:DB8:0:0::1', hostname: 'v6' })).json()
    expect(body.data.ip).toBe('2001:db8::1')
    const res = await app().request('/flyer/v1/hosts/2001:0db8:0000::1')
    expect((await res.json()).data.hostname).toBe('v6')
  })

  it('pages with offset (from 1) and size, and filters by tag and hostname prefix', async () => {
    for (let i = 1; i <= 7; i++) await create({ ip: `10.2.0.${i}`, hostname: `page-${i}`, tags: i % 2 ? ['odd', 'paged'] : ['paged'] })
    const page = async (q: string) => (await app().request(`/flyer/v1/hosts?${q}`)).json()
    const second = await page('tag=paged&offset=2&size=3')
    expect(second.code).toBe(200)
    expect(second.data.map((h: { hostname: string }) => h.hostname)).toEqual(['page-4', 'page-5', 'page-6'])
    expect(second.pagination).toEqual({ total: 7, offset: 2, size: 3 })
    const last = await page('tag=paged&offset=3&size=3')
    expect(last.data.map((h: { hostname: string }) => h.hostname)).toEqual(['page-7'])
    const odd = await page('tag=odd')
    expect(odd.pagination).toEqual({ total: 4, offset: 1, size: 50 })
    const prefix = await page('hostname=page-1')
    expect(prefix.data.map((h: { ip: string }) => h.ip)).toEqual(['10.2.0.1'])
    // LIKE wildcards in the filter are literal.
    expect((await page('hostname=page_')).pagination.total).toBe(0)
    expect((await page('size=201')).code).toBe(40000)
    expect((await page('offset=0')).code).toBe(40000)
  })

  it('serves GET from MySQL first (MISS), then from Redis (HIT)', async () => {
    await create({ ip: '10.3.0.1', hostname: 'cached' })
    const first = await app().request('/flyer/v1/hosts/10.3.0.1')
    expect(first.headers.get('x-cache')).toBe('MISS')
    const key = `flyer:${database.name}:host:10.3.0.1`
    expect(JSON.parse((await cache.get(key))!).hostname).toBe('cached')
    const second = await app().request('/flyer/v1/hosts/10.3.0.1')
    expect(second.headers.get('x-cache')).toBe('HIT')
    expect((await second.json()).data.hostname).toBe('cached')
  })

  it('invalidates the cache on PUT and DELETE before answering', async () => {
    await create({ ip: '10.3.0.2', hostname: 'before', tags: ['a'] })
    await app().request('/flyer/v1/hosts/10.3.0.2')
    expect((await app().request('/flyer/v1/hosts/10.3.0.2')).headers.get('x-cache')).toBe('HIT')

    const put = await app().request('/flyer/v1/hosts/10.3.0.2', jsonInit({ hostname: 'after', tags: ['b'] }, { method: 'PUT' }))
    expect((await put.json()).data).toMatchObject({ hostname: 'after', tags: ['b'], comment: null })
    const afterPut = await app().request('/flyer/v1/hosts/10.3.0.2')
    expect(afterPut.headers.get('x-cache')).toBe('MISS')
    expect((await afterPut.json()).data.hostname).toBe('after')
    expect(await sql.query('SELECT t.tag FROM host_tags t JOIN hosts h ON h.id = t.host_id WHERE h.ip = ?', ['10.3.0.2'])).toEqual([{ tag: 'b' }])

    const del = await app().request('/flyer/v1/hosts/10.3.0.2', { method: 'DELETE' })
    expect(await del.json()).toEqual({ code: 200, msg: 'success' })
    const gone = await app().request('/flyer/v1/hosts/10.3.0.2')
    expect(gone.status).toBe(404)
    expect(await gone.json()).toMatchObject({ code: 40004, msg: 'No host with ip 10.3.0.2' })
    expect(await sql.query('SELECT id FROM hosts WHERE ip = ?', ['10.3.0.2'])).toEqual([])
  })

  it('answers 404 with code 40004 for PUT and DELETE of an unknown ip', async () => {
    const put = await app().request('/flyer/v1/hosts/10.9.9.9', jsonInit({ comment: 'x' }, { method: 'PUT' }))
    expect(put.status).toBe(404)
    expect((await put.json()).code).toBe(40004)
    expect((await app().request('/flyer/v1/hosts/10.9.9.9', { method: 'DELETE' })).status).toBe(404)
  })

  it('refuses an empty PUT body with code 40000', async () => {
    await create({ ip: '10.3.0.3', hostname: 'x' })
    const body = await (await app().request('/flyer/v1/hosts/10.3.0.3', jsonInit({}, { method: 'PUT' }))).json()
    expect(body.code).toBe(40000)
    expect(body.msg).toContain('at least one of hostname, tags, comment')
  })

  it('publishes created, updated, deleted for one host in order, keyed by ip, with the logId', async () => {
    const ip = '10.4.0.1'
    const ids: string[] = []
    for (const init of [jsonInit({ ip, hostname: 'ev' }), jsonInit({ comment: 'one' }, { method: 'PUT' }), jsonInit({ comment: 'two' }, { method: 'PUT' }), { method: 'DELETE' }]) {
      const path = init.method === 'POST' ? '/flyer/v1/hosts' : `/flyer/v1/hosts/${ip}`
      const res = await app().request(path, init)
      expect((await res.json()).code).toBe(200)
      ids.push(res.headers.get('x-request-id')!)
    }
    const deadline = Date.now() + 15_000
    let mine = kafka.messages.filter((m) => m.key === ip)
    while (mine.length < 4 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      mine = kafka.messages.filter((m) => m.key === ip)
    }
    const events = mine.map((m) => JSON.parse(m.payload!))
    expect(events.map((e) => e.event)).toEqual(['host.created', 'host.updated', 'host.updated', 'host.deleted'])
    expect(events.map((e) => e.host.comment)).toEqual([null, 'one', 'two', 'two'])
    expect(events.map((e) => e.logId)).toEqual(ids)
    expect(mine.map((m) => headersOf(m).logId)).toEqual(ids)
    expect(new Set(mine.map((m) => headersOf(m).eventId)).size).toBe(4)
    expect(new Date(events[0].at).toISOString()).toBe(events[0].at)
  })

  it('drains the outbox once the relay has published', async () => {
    await create({ ip: '10.4.0.2', hostname: 'drain' })
    const deadline = Date.now() + 15_000
    let left = 1
    while (left > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      ;[{ left }] = (await sql.query<{ left: number }>('SELECT COUNT(*) AS `left` FROM outbox')) as [{ left: number }]
    }
    expect(left).toBe(0)
    // Deleted only after Kafka acknowledged: the consumer sees it (after its own fetch delay).
    while (!kafka.messages.some((m) => m.key === '10.4.0.2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(kafka.messages.filter((m) => m.key === '10.4.0.2')).toHaveLength(1)
  })
})

const blackhole = async (): Promise<{ port: number; server: Server }> => {
  const server = createServer(() => {}).listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  return { port: (server.address() as AddressInfo).port, server }
}

const mysqlDescribe = (await needServices('mysql')).describe

mysqlDescribe('hosts routes when a dependency is down', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  beforeAll(async () => {
    quietLogs()
    await closeAll()
    database = await createTestDatabase()
  })
  afterAll(async () => {
    await closeAll()
    await database?.drop()
  })

  it('falls back to MySQL when Redis is down, quickly and with X-Cache: MISS', async () => {
    await closeAll()
    const { env } = useServicesEnv({ ...mysqlEnv(database.name), flyer_redis_host: '127.0.0.1', flyer_redis_port: '1' })
    const { app } = testApp(env)
    expect((await (await app.request('/flyer/v1/hosts', jsonInit({ ip: '10.5.0.1', hostname: 'noredis' }))).json()).code).toBe(200)
    for (let i = 0; i < 3; i++) {
      const started = Date.now()
      const res = await app.request('/flyer/v1/hosts/10.5.0.1')
      expect(res.headers.get('x-cache')).toBe('MISS')
      expect((await res.json()).data.hostname).toBe('noredis')
      expect(Date.now() - started).toBeLessThan(3000)
    }
  })

  it('answers code 40002 within about 2 s when MySQL does not answer at all', async () => {
    await closeAll()
    const hole = await blackhole()
    try {
      const { env } = useServicesEnv({ flyer_db_host: '127.0.0.1', flyer_db_port: String(hole.port), flyer_db_name: 'x', flyer_http_errors: '1' })
      const started = Date.now()
      const res = await testApp(env).app.request('/flyer/v1/hosts')
      const elapsed = Date.now() - started
      expect(res.status).toBe(502)
      const body = await res.json()
      expect(body.code).toBe(40002)
      expect(body.msg).toMatch(/^MySQL unavailable \(127\.0\.0\.1:\d+\/x\): /)
      expect(elapsed).toBeLessThan(5000)
    } finally {
      await closeAll()
      hole.server.close()
    }
  })

  it('answers code 40002 at once when nothing listens on the MySQL port', async () => {
    await closeAll()
    const { env } = useServicesEnv({ flyer_db_host: '127.0.0.1', flyer_db_port: '1', flyer_db_name: 'x' })
    const body = await (await testApp(env).app.request('/flyer/v1/hosts/10.0.0.1')).json()
    expect(body.code).toBe(40002)
    expect(body.msg).toContain('ECONNREFUSED')
  })
})

plainDescribe('hosts routes without MySQL configured', () => {
  beforeAll(async () => {
    quietLogs()
    await closeAll()
  })

  it.each([
    ['GET', '/flyer/v1/hosts'],
    ['GET', '/flyer/v1/hosts/10.0.0.1'],
    ['DELETE', '/flyer/v1/hosts/10.0.0.1'],
  ])('%s %s answers HTTP 503 naming flyer_db_host, and the rest of the app keeps working', async (method, path) => {
    const { env } = useServicesEnv({})
    const { app } = testApp(env)
    const res = await app.request(path, { method })
    expect(res.status).toBe(503)
    const body = await res.json()
    expect(body.code).toBe(50000)
    expect(body.msg).toMatch(/^MySQL is not configured: set flyer_db_host/)
    expect(body.logId).toBe(res.headers.get('x-request-id'))
    expect((await app.request('/flyer/v1/health_check')).status).toBe(200)
  })
})
