import pino from 'pino'
import { afterAll, beforeAll, describe as plainDescribe, expect, it } from 'vitest'
import { loadConfig } from '#lib/config.ts'
import { startDataServices } from '#lib/data-services.ts'
import { createDatabase } from '#lib/migrate.ts'
import { createDb, openSession } from '#lib/mysql.ts'
import { enqueueEvent, notifyOutbox } from '#lib/outbox.ts'
import { closeAll } from '#lib/shutdown.ts'
import { startMockKafka, type MockKafka } from '../helpers/kafka.ts'
import { MYSQL, needServices, randomName } from '../helpers/services.ts'

const log = pino({ level: 'silent' })

plainDescribe('startDataServices without MySQL', () => {
  it('does nothing when flyer_db_host is unset', async () => {
    const services = await startDataServices(loadConfig({ flyer_log_file: '0' }), log)
    await expect(services.migrated).resolves.toBeUndefined()
    expect(services.relay()).toBeUndefined()
    await closeAll()
  })

  it('returns at once when MySQL is unreachable, retrying in the background until stopped', async () => {
    const started = Date.now()
    const services = await startDataServices(loadConfig({ flyer_log_file: '0', flyer_db_host: '127.0.0.1', flyer_db_port: '1' }), log, { retryMs: 50 })
    expect(Date.now() - started).toBeLessThan(2000)
    let migrated = false
    void services.migrated.then(() => (migrated = true))
    await new Promise((r) => setTimeout(r, 200))
    expect(migrated).toBe(false)
    await closeAll()
  })
})

const { describe } = await needServices('mysql', 'kafka')

describe('startDataServices with MySQL and Kafka', () => {
  const name = randomName('flyer_test')
  const topic = randomName('flyer_ds')
  let kafka: MockKafka
  beforeAll(async () => {
    await createDatabase({ ...MYSQL, database: name })
    kafka = await startMockKafka(topic)
  })
  afterAll(async () => {
    await closeAll()
    await kafka?.stop()
    const s = await openSession({ ...MYSQL, database: name }, { database: false })
    await s.connection.query(`DROP DATABASE IF EXISTS ${s.connection.escapeId(name)}`)
    await s.close()
  })

  it('migrates, starts the relay, and stops it at shutdown', async () => {
    const c = loadConfig({ flyer_log_file: '0', flyer_db_host: MYSQL.host, flyer_db_port: String(MYSQL.port), flyer_db_user: MYSQL.user, flyer_db_pass: MYSQL.password, flyer_db_name: name, flyer_kafka_servers: kafka.broker, flyer_kafka_topic: topic })
    const services = await startDataServices(c, log)
    await services.migrated
    const db = createDb({ ...MYSQL, database: name })
    try {
      await db.transaction((tx) => enqueueEvent(tx, { topic, key: 'k', value: { hello: 'relay' } }))
      notifyOutbox()
      const [m] = await kafka.waitFor(1)
      expect(JSON.parse(m!.payload!)).toEqual({ hello: 'relay' })
      const relay = services.relay()!
      expect(relay.active).toBe(true)
      await closeAll()
      expect(relay.active).toBe(false)
      expect(services.relay()).toBeUndefined()
    } finally {
      await db.close()
    }
  })
})
