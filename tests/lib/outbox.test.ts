import pino from 'pino'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { createKafka } from '#lib/kafka.ts'
import { createDb, lockName, type Db } from '#lib/mysql.ts'
import { enqueueEvent, notifyOutbox, startOutboxRelay, type OutboxRelay, type Publisher } from '#lib/outbox.ts'
import { startMockKafka, headersOf, type MockKafka } from '../helpers/kafka.ts'
import { createTestDatabase, needServices, randomName } from '../helpers/services.ts'

const { describe } = await needServices('mysql', 'kafka')
const log = pino({ level: 'silent' })

const until = async (ok: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await ok()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

describe('lib/outbox: transactional events and the relay', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let db: Db
  const brokers: MockKafka[] = []
  const relays: OutboxRelay[] = []
  const startBroker = async (topic: string) => {
    const b = await startMockKafka(topic)
    brokers.push(b)
    return b
  }
  const relay = (publisher: () => Publisher, extra: { lockName?: string } = {}) => {
    const r = startOutboxRelay({ db: database.options, publisher, log, pollMs: 50, standbyMs: 100, maxBackoffMs: 200, ...extra })
    relays.push(r)
    return r
  }
  const write = (topic: string, key: string, values: unknown[]) =>
    db.transaction(async (tx) => {
      for (const value of values) await enqueueEvent(tx, { topic, key, value })
    })
  const left = async () => Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox'))[0]!.n)

  beforeAll(async () => {
    database = await createTestDatabase()
    db = createDb(database.options)
  })
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()))
    await Promise.all(brokers.splice(0).map((b) => b.stop()))
    await db.execute('DELETE FROM outbox')
  })
  afterAll(async () => {
    await db?.close()
    await database?.drop()
  })

  it('writes nothing when the transaction rolls back', async () => {
    await expect(
      db.transaction(async (tx) => {
        await enqueueEvent(tx, { topic: 't', key: 'k', value: { n: 1 } })
        throw new Error('rollback')
      }),
    ).rejects.toThrow('rollback')
    expect(await left()).toBe(0)
  })

  it('publishes in write order with an eventId header, then deletes the rows', async () => {
    const topic = randomName('flyer_outbox')
    const broker = await startBroker(topic)
    await write(topic, 'h1', [{ n: 1 }, { n: 2 }, { n: 3 }])
    const r = relay(() => createKafka({ brokers: [broker.broker], topic, log }))
    notifyOutbox()
    const messages = await broker.waitFor(3)
    expect(messages.map((m) => JSON.parse(m.payload!).n)).toEqual([1, 2, 3])
    expect(messages.every((m) => m.key === 'h1' && /^[0-9a-f-]{36}$/.test(headersOf(m).eventId!))).toBe(true)
    expect(await until(async () => (await left()) === 0)).toBe(true)
    expect(r.active).toBe(true)
    expect(r.published).toBe(3)
  })

  it('keeps events while Kafka is gone and delivers them, in order, once a broker is back', async () => {
    const topic = randomName('flyer_outbox')
    let current = await startBroker(topic)
    const r = relay(() => createKafka({ brokers: () => [current.broker], topic, log, retries: 0 }))
    await write(topic, 'h2', [{ n: 1 }])
    await current.waitFor(1)
    await current.stop()

    await write(topic, 'h2', [{ n: 2 }, { n: 3 }])
    await write(topic, 'h3', [{ n: 10 }])
    await write(topic, 'h2', [{ n: 4 }])
    notifyOutbox()
    expect(await until(() => r.lastError !== undefined)).toBe(true)
    expect(await left()).toBe(4)

    // A new broker (new port, empty): the relay's next publisher finds it.
    current = await startBroker(topic)
    const delivered = await current.waitFor(4, 20_000)
    expect(delivered.filter((m) => m.key === 'h2').map((m) => JSON.parse(m.payload!).n)).toEqual([2, 3, 4])
    expect(delivered.filter((m) => m.key === 'h3').map((m) => JSON.parse(m.payload!).n)).toEqual([10])
    expect(await until(async () => (await left()) === 0)).toBe(true)
    expect(await until(() => r.lastError === undefined)).toBe(true)
  })

  it('runs exactly one active relay per lock; a standby takes over when it stops', async () => {
    const topic = randomName('flyer_outbox')
    const broker = await startBroker(topic)
    const name = lockName(randomName('relay'), database.name)
    const publisher = () => createKafka({ brokers: [broker.broker], topic, log })
    const a = relay(publisher, { lockName: name })
    expect(await until(() => a.active)).toBe(true)
    const b = relay(publisher, { lockName: name })
    await new Promise((r) => setTimeout(r, 300))
    expect(b.active).toBe(false)

    await write(topic, 'h4', Array.from({ length: 30 }, (_, n) => ({ n })))
    notifyOutbox()
    await broker.waitFor(30)
    await a.stop()
    expect(await until(() => b.active)).toBe(true)
    await write(topic, 'h4', [{ n: 30 }])
    const all = await broker.waitFor(31)
    // Nothing published twice, nothing out of order.
    expect(all.map((m) => JSON.parse(m.payload!).n)).toEqual(Array.from({ length: 31 }, (_, n) => n))
    expect(a.published + b.published).toBe(31)
    expect(b.published).toBe(1)
  })

  it('recovers when MySQL drops its session: reconnects, takes the lock again, keeps publishing', async () => {
    const topic = randomName('flyer_outbox')
    const broker = await startBroker(topic)
    const name = lockName(randomName('relay'), database.name)
    const r = relay(() => createKafka({ brokers: [broker.broker], topic, log }), { lockName: name })
    expect(await until(() => r.active)).toBe(true)
    const [holder] = await db.query<{ id: number }>('SELECT IS_USED_LOCK(?) AS id', [name])
    await db.execute(`KILL CONNECTION ${Number(holder!.id)}`)
    await write(topic, 'h6', [{ n: 1 }, { n: 2 }])
    expect((await broker.waitFor(2)).map((m) => JSON.parse(m.payload!).n)).toEqual([1, 2])
    const [now] = await db.query<{ id: number }>('SELECT IS_USED_LOCK(?) AS id', [name])
    expect(now!.id).not.toBe(holder!.id)
    expect(r.active).toBe(true)
  })

  it('stops only after the batch in flight is sent and its rows deleted', async () => {
    const topic = randomName('flyer_outbox')
    const broker = await startBroker(topic)
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let sending!: () => void
    const started = new Promise<void>((r) => (sending = r))
    const r = relay(() => {
      const real = createKafka({ brokers: [broker.broker], topic, log })
      return {
        sendBatch: async (m) => {
          sending()
          await gate
          await real.sendBatch(m)
        },
        close: () => real.close(),
      }
    })
    await write(topic, 'h5', [{ n: 1 }])
    notifyOutbox()
    await started
    let stopped = false
    const stopping = r.stop().then(() => (stopped = true))
    await new Promise((res) => setTimeout(res, 100))
    expect(stopped).toBe(false)
    release()
    await stopping
    expect(await left()).toBe(0)
    expect((await broker.waitFor(1)).map((m) => JSON.parse(m.payload!).n)).toEqual([1])
  })
})
