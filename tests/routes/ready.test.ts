import { createServer, type AddressInfo, type Server } from 'node:net'
import { afterAll, afterEach, beforeAll, describe as plainDescribe, expect, it } from 'vitest'
import { checkReadiness } from '#lib/readiness.ts'
import { beginShutdown, closeAll, resetShutdownState } from '#lib/shutdown.ts'
import { testApp } from '../helpers/app.ts'
import { startMockKafka, type MockKafka } from '../helpers/kafka.ts'
import { createTestDatabase, mysqlEnv, needServices, quietLogs, randomName, randomRedisDb, redisEnv, useServicesEnv } from '../helpers/services.ts'

const blackhole = async (): Promise<Server> => {
  const server = createServer(() => {}).listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  return server
}
const portOf = (s: Server) => String((s.address() as AddressInfo).port)

const ready = async (env: Record<string, string>) => {
  await closeAll()
  const { env: full } = useServicesEnv({ flyer_validate_response: '1', ...env })
  const started = Date.now()
  const res = await testApp(full).app.request('/flyer/v1/ready')
  return { res, body: await res.json(), elapsed: Date.now() - started }
}

plainDescribe('GET /flyer/v1/ready with nothing configured', () => {
  beforeAll(quietLogs)
  afterEach(() => closeAll())

  it('answers 200 with every dependency disabled', async () => {
    const { res, body } = await ready({})
    expect(res.status).toBe(200)
    expect(body).toEqual({ code: 200, msg: 'success', data: { redis: 'disabled', mysql: 'disabled', kafka: 'disabled' } })
  })

  it('stays open when basic auth is on', async () => {
    const { res } = await ready({ flyer_auth_enable: '1', flyer_auth_user: 'u', flyer_auth_pass: 'p' })
    expect(res.status).toBe(200)
  })

  it('answers 503 while the worker is shutting down', async () => {
    beginShutdown('test')
    try {
      const { res, body } = await ready({})
      expect(res.status).toBe(503)
      expect(body).toMatchObject({ code: 50000, msg: 'not ready: shutting down' })
    } finally {
      resetShutdownState()
    }
  })

  it('bounds a probe that never answers by the timeout', async () => {
    const started = Date.now()
    const r = await checkReadiness({ mysql: () => new Promise(() => {}) }, 200)
    expect(r).toMatchObject({ ready: false, checks: { mysql: 'down', redis: 'disabled', kafka: 'disabled' }, errors: { mysql: 'no answer within 450 ms' } })
    expect(Date.now() - started).toBeLessThan(1000)
  })
})

const { describe } = await needServices('mysql', 'redis', 'kafka')

describe('GET /flyer/v1/ready against the real services', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let kafka: MockKafka
  let hole: Server
  let up: Record<string, string>

  beforeAll(async () => {
    quietLogs()
    database = await createTestDatabase()
    const topic = randomName('flyer_ready')
    kafka = await startMockKafka(topic)
    hole = await blackhole()
    up = {
      ...mysqlEnv(database.name),
      ...redisEnv(randomRedisDb()),
      flyer_kafka_servers: kafka.broker,
      flyer_kafka_topic: topic,
    }
  })
  afterEach(() => closeAll())
  afterAll(async () => {
    await closeAll()
    hole?.close()
    await kafka?.stop()
    await database?.drop()
  })

  it('answers 200 with every dependency ok', async () => {
    const { res, body } = await ready(up)
    expect(res.status).toBe(200)
    expect(body).toEqual({ code: 200, msg: 'success', data: { redis: 'ok', mysql: 'ok', kafka: 'ok' } })
  })

  it.each([
    ['redis', () => ({ flyer_redis_port: '1' })],
    ['redis', () => ({ flyer_redis_port: portOf(hole) })],
    ['mysql', () => ({ flyer_db_port: '1' })],
    ['mysql', () => ({ flyer_db_port: portOf(hole) })],
    ['kafka', () => ({ flyer_kafka_servers: '127.0.0.1:1' })],
    ['kafka', () => ({ flyer_kafka_servers: `127.0.0.1:${portOf(hole)}` })],
  ])('answers 503 with code 50000 naming %s when it is down (case %#), within about a second', async (name, broken) => {
    const { res, body, elapsed } = await ready({ ...up, ...broken() })
    expect(res.status).toBe(503)
    expect(body.code).toBe(50000)
    expect(body.msg).toBe(`not ready: ${name} down`)
    expect(body.logId).toBe(res.headers.get('x-request-id'))
    expect(body.data).toEqual({ redis: 'ok', mysql: 'ok', kafka: 'ok', [name]: 'down' })
    expect(elapsed).toBeLessThan(2500)
  })

  it('names every dependency that is down', async () => {
    const { res, body } = await ready({ ...up, flyer_redis_port: '1', flyer_db_port: '1' })
    expect(res.status).toBe(503)
    expect(body.msg).toBe('not ready: redis, mysql down')
  })

  it('reports Kafka down once its broker is gone', async () => {
    const topic = randomName('flyer_ready')
    const gone = await startMockKafka(topic)
    const env = { ...up, flyer_kafka_servers: gone.broker, flyer_kafka_topic: topic }
    expect((await ready(env)).body.data.kafka).toBe('ok')
    await gone.stop()
    const { res, body } = await ready(env)
    expect(res.status).toBe(503)
    expect(body.data.kafka).toBe('down')
  })
})
