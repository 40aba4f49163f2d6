import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDatabase } from '#lib/migrate.ts'
import { openSession } from '#lib/mysql.ts'
import { headersOf, startMockKafka, type MockKafka } from '../helpers/kafka.ts'
import { MYSQL, needServices, randomName, randomRedisDb } from '../helpers/services.ts'
import { freePort, startProcess, waitFor200 } from '../helpers/server.ts'

// The whole product as an operator runs it: `node server.ts` with two workers against MariaDB, Redis and
// a Kafka broker. Migrations, the outbox relay, readiness, metrics and shutdown, all wired at start.
const { describe } = await needServices('mysql', 'redis', 'kafka')

describe('full stack: two workers, MySQL, Redis, Kafka', () => {
  const database = randomName('flyer_e2e')
  const topic = randomName('flyer_e2e')
  let kafka: MockKafka
  let server: ReturnType<typeof startProcess>
  let base: string

  beforeAll(async () => {
    // An empty database: the server must apply the migrations itself.
    await createDatabase({ ...MYSQL, database })
    kafka = await startMockKafka(topic)
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    server = startProcess('node', ['--import', 'tsx', 'server.ts'], {
      flyer_port: String(port),
      flyer_host: '127.0.0.1',
      flyer_workers: '2',
      flyer_log_dir: mkdtempSync(join(tmpdir(), 'flyer-fs-')),
      flyer_access_log: '0',
      flyer_db_host: MYSQL.host,
      flyer_db_port: String(MYSQL.port),
      flyer_db_user: MYSQL.user,
      flyer_db_name: database,
      flyer_redis_host: '127.0.0.1',
      flyer_redis_db: String(randomRedisDb()),
      flyer_kafka_servers: kafka.broker,
      flyer_kafka_topic: topic,
    })
    await waitFor200(`${base}/flyer/v1/ready`, 60_000, server.proc)
  }, 90_000)

  afterAll(async () => {
    await server?.stop('SIGKILL')
    await kafka?.stop()
    const s = await openSession({ ...MYSQL, database }, { database: false })
    await s.connection.query(`DROP DATABASE IF EXISTS ${s.connection.escapeId(database)}`)
    await s.close()
  })

  it('reports every dependency ready', async () => {
    expect(await (await fetch(`${base}/flyer/v1/ready`)).json()).toMatchObject({ code: 200, data: { redis: 'ok', mysql: 'ok', kafka: 'ok' } })
  })

  it('creates a host, caches it, and publishes the event with the request id', async () => {
    const created = await fetch(`${base}/flyer/v1/hosts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-create-1' },
      body: JSON.stringify({ ip: '10.9.8.7', hostname: 'e2e-web-1', tags: ['web'] }),
    })
    expect((await created.json()).code).toBe(200)
    const first = await fetch(`${base}/flyer/v1/hosts/10.9.8.7`)
    expect((await first.json()).data.hostname).toBe('e2e-web-1')
    await expect.poll(async () => (await fetch(`${base}/flyer/v1/hosts/10.9.8.7`)).headers.get('x-cache'), { timeout: 5_000 }).toBe('HIT')
    const [message] = await kafka.waitFor(1, 15_000)
    expect(JSON.parse(message!.payload!)).toMatchObject({ event: 'host.created', logId: 'e2e-create-1', host: { ip: '10.9.8.7' } })
    expect(headersOf(message!)).toMatchObject({ logId: 'e2e-create-1' })
  })

  it('serves metrics summed over both workers, with client gauges', async () => {
    for (let i = 0; i < 20; i++) await fetch(`${base}/flyer/v1/health_check`)
    const text = await (await fetch(`${base}/metrics`)).text()
    const health = text
      .split('\n')
      .filter((l) => l.startsWith('flyer_http_requests_total') && l.includes('/flyer/v1/health_check'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
    expect(health).toBeGreaterThanOrEqual(20)
    expect(text).toMatch(/flyer_db_pool_connections\{state="in_use"\} \d+/)
    expect(text).toMatch(/flyer_outbox_backlog \d+/)
  })

  it('stops cleanly on SIGTERM', async () => {
    expect(await server.stop('SIGTERM')).toBe(0)
  }, 30_000)
})
