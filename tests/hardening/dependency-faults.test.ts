import { afterAll, beforeAll, expect, it } from 'vitest'
import { closeAll } from '#lib/shutdown.ts'
import { jsonInit, testApp } from '../helpers/app.ts'
import { createTestDatabase, MYSQL, needServices, quietLogs, REDIS, randomRedisDb, useServicesEnv } from '../helpers/services.ts'
import { tcpProxy } from '../helpers/tcp-proxy.ts'

// Issue 6, cases 13 and 14: Redis down at start, down mid-run and back; MySQL connections cut (a restart).
const { describe } = await needServices('mysql', 'redis')

const uncaught: unknown[] = []
const onUncaught = (err: unknown) => uncaught.push(err)

describe('dependency faults through a TCP proxy', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let redisProxy: Awaited<ReturnType<typeof tcpProxy>>
  let mysqlProxy: Awaited<ReturnType<typeof tcpProxy>>
  let app: ReturnType<typeof testApp>['app']

  beforeAll(async () => {
    quietLogs()
    process.on('uncaughtException', onUncaught)
    process.on('unhandledRejection', onUncaught)
    database = await createTestDatabase()
    redisProxy = await tcpProxy(REDIS)
    mysqlProxy = await tcpProxy({ host: MYSQL.host, port: MYSQL.port })
    await redisProxy.down() // Redis is down when the app starts
    const { env } = useServicesEnv({
      flyer_db_host: '127.0.0.1',
      flyer_db_port: String(mysqlProxy.port),
      flyer_db_user: MYSQL.user,
      flyer_db_pass: MYSQL.password,
      flyer_db_name: database.name,
      flyer_db_pool_size: '4',
      flyer_redis_host: '127.0.0.1',
      flyer_redis_port: String(redisProxy.port),
      flyer_redis_db: String(randomRedisDb()),
    })
    app = testApp(env).app
  })

  afterAll(async () => {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
    await closeAll()
    await redisProxy?.close()
    await mysqlProxy?.close()
    await database?.drop()
  })

  const ready = async () => (await (await app.request('/flyer/v1/ready')).json()) as { code: number; data: Record<string, string> }

  it('starts with Redis down: serves from MySQL, readiness says redis down', async () => {
    expect((await (await app.request('/flyer/v1/hosts', jsonInit({ ip: '10.7.0.1', hostname: 'fault-1' }))).json()).code).toBe(200)
    const res = await app.request('/flyer/v1/hosts/10.7.0.1')
    expect(res.headers.get('x-cache')).toBe('MISS')
    expect((await res.json()).data.hostname).toBe('fault-1')
    expect((await ready()).data).toMatchObject({ redis: 'down', mysql: 'ok' })
  })

  it('recovers by itself when Redis comes back: readiness flips, the cache serves hits', async () => {
    await redisProxy.up()
    await expect.poll(async () => (await ready()).data.redis, { timeout: 15_000, interval: 250 }).toBe('ok')
    await app.request('/flyer/v1/hosts/10.7.0.1')
    await expect.poll(async () => (await app.request('/flyer/v1/hosts/10.7.0.1')).headers.get('x-cache'), { timeout: 5_000 }).toBe('HIT')
  })

  it('keeps serving when Redis goes down mid-run, and readiness flips back', async () => {
    await redisProxy.down()
    const res = await app.request('/flyer/v1/hosts/10.7.0.1')
    expect(res.status).toBe(200)
    expect((await res.json()).data.hostname).toBe('fault-1')
    await expect.poll(async () => (await ready()).data.redis, { timeout: 10_000 }).toBe('down')
    await redisProxy.up()
  })

  it('loses at most one query per pool connection when MySQL connections are cut, then recovers', async () => {
    // Warm every pool connection, then cut them all (what clients see when MySQL restarts).
    await Promise.all(Array.from({ length: 8 }, () => app.request('/flyer/v1/hosts?size=5')))
    mysqlProxy.cut()
    const codes: number[] = []
    for (let i = 0; i < 12; i++) codes.push((await (await app.request('/flyer/v1/hosts?size=5')).json()).code)
    const failed = codes.filter((c) => c !== 200).length
    expect(failed).toBeLessThanOrEqual(4) // pool size 4
    expect(codes.slice(-4)).toEqual([200, 200, 200, 200])
    expect(codes.filter((c) => c !== 200 && c !== 40002)).toEqual([])
  })

  it('answers the envelope, not a hang, while MySQL is unreachable, and recovers after', async () => {
    await mysqlProxy.down()
    const body = await (await app.request('/flyer/v1/hosts?size=5')).json()
    expect(body.code).toBe(40002)
    await mysqlProxy.up()
    await expect.poll(async () => (await (await app.request('/flyer/v1/hosts?size=5')).json()).code, { timeout: 10_000 }).toBe(200)
  })

  it('raised no uncaught exception or unhandled rejection (no unhandled "error" event)', () => {
    expect(uncaught).toEqual([])
  })
})
