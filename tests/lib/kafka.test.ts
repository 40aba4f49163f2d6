import pino from 'pino'
import { afterAll, beforeAll, describe as plainDescribe, expect, it } from 'vitest'
import { FlyerError } from '#lib/errors.ts'
import { createKafka, kafka, type KafkaClient } from '#lib/kafka.ts'
import { closeAll } from '#lib/shutdown.ts'
import { headersOf, startMockKafka, type MockKafka } from '../helpers/kafka.ts'
import { needServices, quietLogs, randomName, useServicesEnv } from '../helpers/services.ts'

const { describe } = await needServices('kafka')
const log = pino({ level: 'silent' })

describe('lib/kafka against the mock broker', () => {
  let broker: MockKafka
  const topic = randomName('flyer_kafka')
  const clients: KafkaClient[] = []
  const open = (extra: Partial<Parameters<typeof createKafka>[0]> = {}) => {
    const c = createKafka({ brokers: [broker.broker], topic, log, ...extra })
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    broker = await startMockKafka(topic)
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await closeAll()
    await broker?.stop()
  })

  it('sends a JSON value to the default topic with the logId header and the key', async () => {
    await open().send({ event: 'deploy.done', n: 1 }, undefined, { key: 'api', logId: 'req-1' })
    const [m] = await broker.waitFor(1)
    expect(m!.topic).toBe(topic)
    expect(m!.key).toBe('api')
    expect(JSON.parse(m!.payload!)).toEqual({ event: 'deploy.done', n: 1 })
    expect(headersOf(m!)).toMatchObject({ logId: 'req-1' })
  })

  it('keeps the order of a batch for one key', async () => {
    const before = broker.messages.length
    await open().sendBatch(Array.from({ length: 20 }, (_, i) => ({ topic, key: 'ordered', value: { i } })))
    const all = await broker.waitFor(before + 20)
    const mine = all.filter((m) => m.key === 'ordered')
    expect(mine.map((m) => JSON.parse(m.payload!).i)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(new Set(mine.map((m) => m.partition)).size).toBe(1)
  })

  it('answers ping with a metadata round trip', async () => {
    await expect(open().ping(2000)).resolves.toBeUndefined()
  })

  it('lets a send in flight finish on close, and refuses sends after it', async () => {
    const before = broker.messages.length
    const c = open()
    const sent = c.send({ last: true }, undefined, { key: 'closing' })
    await c.close()
    await expect(sent).resolves.toBeUndefined()
    await broker.waitFor(before + 1)
    await expect(c.send({ late: true })).rejects.toThrow('Kafka client is closed')
  })

  it('is the process producer from flyer_kafka_servers and flyer_kafka_topic', async () => {
    await closeAll()
    quietLogs()
    useServicesEnv({ flyer_kafka_servers: broker.broker, flyer_kafka_topic: topic })
    const before = broker.messages.length
    expect(kafka()).toBe(kafka())
    await kafka().send({ via: 'getter' }, undefined, { key: 'getter' })
    const all = await broker.waitFor(before + 1)
    expect(all.some((m) => m.key === 'getter')).toBe(true)
    await closeAll()
  })
})

plainDescribe('lib/kafka without a broker', () => {
  it('connects on first send only, and fails that send with code 40002 within seconds', async () => {
    const c = createKafka({ brokers: ['127.0.0.1:1'], topic: 't', log })
    const started = Date.now()
    const err = await c.send({ x: 1 }).catch((e: unknown) => e)
    await c.close()
    expect(err).toBeInstanceOf(FlyerError)
    expect((err as FlyerError).code).toBe(40002)
    expect((err as Error).message).toMatch(/^Kafka send to t failed: /)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('reports ping failure within its timeout', async () => {
    const c = createKafka({ brokers: ['127.0.0.1:1'], topic: 't', log })
    const started = Date.now()
    await expect(c.ping(500)).rejects.toThrow(/^Kafka metadata request failed/)
    expect(Date.now() - started).toBeLessThan(2000)
    await c.close()
  })

  it('answers 503 naming flyer_kafka_servers when Kafka is not configured', async () => {
    await closeAll()
    useServicesEnv({})
    expect(() => kafka()).toThrow(/^Kafka is not configured: set flyer_kafka_servers/)
  })
})
