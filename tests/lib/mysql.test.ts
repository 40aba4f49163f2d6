import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe as plainDescribe, expect, it } from 'vitest'
import { FlyerError } from '#lib/errors.ts'
import { MIGRATIONS_DIR, migrate, splitStatements } from '#lib/migrate.ts'
import { createDb, isDuplicateKey, lockName, mysql, openSession, type Db } from '#lib/mysql.ts'
import { closeAll } from '#lib/shutdown.ts'
import { createTestDatabase, MYSQL, needServices, quietLogs, useServicesEnv } from '../helpers/services.ts'

const { describe } = await needServices('mysql')

describe('lib/mysql against MariaDB', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  const dbs: Db[] = []
  const open = (extra: Partial<Parameters<typeof createDb>[0]> = {}) => {
    const db = createDb({ ...database.options, ...extra })
    dbs.push(db)
    return db
  }

  beforeAll(async () => {
    quietLogs()
    database = await createTestDatabase()
    const db = open()
    await db.execute('CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)')
  })
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.close()))
    await closeAll()
    await database?.drop()
  })

  it('runs prepared statements and returns typed rows', async () => {
    const db = open()
    const res = await db.execute('INSERT INTO t (id, name) VALUES (?, ?), (?, ?)', [1, 'one', 2, 'two'])
    expect(res.affectedRows).toBe(2)
    expect(await db.query<{ name: string }>('SELECT name FROM t WHERE id > ? ORDER BY id LIMIT ?', [0, 5])).toEqual([{ name: 'one' }, { name: 'two' }])
    // Binding, not string building: a quote in a value is data.
    expect(await db.query('SELECT name FROM t WHERE name = ?', ["one' OR '1'='1"])).toEqual([])
  })

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const db = open()
    await db.transaction(async (tx) => {
      await tx.execute('INSERT INTO t (id, name) VALUES (?, ?)', [10, 'kept'])
    })
    await expect(
      db.transaction(async (tx) => {
        await tx.execute('INSERT INTO t (id, name) VALUES (?, ?)', [11, 'dropped'])
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await db.query('SELECT id FROM t WHERE id IN (?, ?) ORDER BY id', [10, 11])).toEqual([{ id: 10 }])
  })

  it('passes a duplicate key through as itself, not as an outage', async () => {
    const db = open()
    await db.execute('INSERT INTO t (id, name) VALUES (?, ?)', [20, 'a'])
    const err = await db.execute('INSERT INTO t (id, name) VALUES (?, ?)', [20, 'b']).catch((e: unknown) => e)
    expect(isDuplicateKey(err)).toBe(true)
    expect(err).not.toBeInstanceOf(FlyerError)
  })

  it('destroys a connection whose statement timed out instead of reusing it', async () => {
    const db = open({ poolSize: 1 })
    const [before] = await db.query<{ id: number }>('SELECT CONNECTION_ID() AS id')
    const err = await db.query('SELECT SLEEP(3)', [], { timeoutMs: 200 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FlyerError)
    expect((err as FlyerError).code).toBe(40002)
    expect((err as FlyerError).message).toContain('no answer within 200 ms')
    const [after] = await db.query<{ id: number }>('SELECT CONNECTION_ID() AS id')
    expect(after!.id).not.toBe(before!.id)
  })

  it('replaces a connection older than the recycle age', async () => {
    const db = open({ poolSize: 1, recycleSec: 1 })
    const [first] = await db.query<{ id: number }>('SELECT CONNECTION_ID() AS id')
    const [again] = await db.query<{ id: number }>('SELECT CONNECTION_ID() AS id')
    expect(again!.id).toBe(first!.id)
    await new Promise((r) => setTimeout(r, 1100))
    const [later] = await db.query<{ id: number }>('SELECT CONNECTION_ID() AS id')
    expect(later!.id).not.toBe(first!.id)
  })

  it('fails at once when the pool is busy and nobody may wait (queue limit 0)', async () => {
    const db = open({ poolSize: 1, queueLimit: 0 })
    let release!: () => void
    const held = db.transaction(() => new Promise<void>((r) => (release = r)))
    await new Promise((r) => setTimeout(r, 50))
    const err = await db.query('SELECT 1').catch((e: unknown) => e)
    release()
    await held
    expect((err as FlyerError).code).toBe(40002)
    expect((err as Error).message).toContain('No connections available')
  })

  it('gives up waiting for a busy pool after the acquire timeout', async () => {
    const db = open({ poolSize: 1, queueLimit: 10, acquireTimeoutMs: 200 })
    let release!: () => void
    const held = db.transaction(() => new Promise<void>((r) => (release = r)))
    await new Promise((r) => setTimeout(r, 50))
    const err = await db.query('SELECT 1').catch((e: unknown) => e)
    release()
    await held
    expect((err as Error).message).toContain('no connection within 200 ms')
    // The late connection went back to the pool: it still serves.
    expect(await db.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }])
  })

  it('lets one session at a time hold a named lock, and frees it when the session ends', async () => {
    const name = lockName('test_lock', database.name)
    const a = await openSession(database.options)
    const b = await openSession(database.options)
    try {
      expect(await a.query('SELECT GET_LOCK(?, 0) AS got', [name])).toEqual([{ got: 1 }])
      expect(await b.query('SELECT GET_LOCK(?, 0) AS got', [name])).toEqual([{ got: 0 }])
      await a.close()
      expect(await b.query('SELECT GET_LOCK(?, 1) AS got', [name])).toEqual([{ got: 1 }])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('answers ping with SELECT 1', async () => {
    await expect(open().ping()).resolves.toBeUndefined()
  })
})

describe('migrations', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let dir: string
  beforeAll(async () => {
    database = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'flyer-migrations-'))
    await cp(MIGRATIONS_DIR, dir, { recursive: true })
  })
  afterAll(async () => {
    await database?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  it('applies nothing the second time, and creates the tables the hosts demo needs', async () => {
    expect(await migrate(database.options, { dir })).toMatchObject({ applied: [], pending: [] })
    const s = await openSession(database.options)
    try {
      const tables = await s.query<{ t: string }>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name', [database.name])
      expect(tables.map((r) => r.t).sort()).toEqual(['flyer_migrations', 'host_tags', 'hosts', 'outbox'])
    } finally {
      await s.close()
    }
  })

  it('applies a new file, and refuses one edited after it was applied', async () => {
    await writeFile(join(dir, '900_extra.sql'), '-- test\nCREATE TABLE IF NOT EXISTS extra (id INT PRIMARY KEY);\n')
    expect((await migrate(database.options, { dir })).applied).toEqual(['900_extra.sql'])
    await writeFile(join(dir, '900_extra.sql'), 'CREATE TABLE IF NOT EXISTS extra (id BIGINT PRIMARY KEY);\n')
    await expect(migrate(database.options, { dir })).rejects.toThrow('900_extra.sql changed after it was applied')
  })

  it('refuses a file name without a number prefix', async () => {
    await writeFile(join(dir, 'oops.sql'), 'SELECT 1;\n')
    await expect(migrate(database.options, { dir })).rejects.toThrow('rename oops.sql')
    await rm(join(dir, 'oops.sql'))
  })
})

plainDescribe('lib/mysql without a server', () => {
  it('splits migrations at semicolons ending a line, skipping comment lines', () => {
    expect(splitStatements('-- a; b;\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);  \n')).toEqual(['CREATE TABLE a (x INT)', 'INSERT INTO a VALUES (1)'])
  })

  it('fails fast with code 40002 when nothing listens', async () => {
    const db = createDb({ ...MYSQL, port: 1, database: 'x' })
    const err = await db.query('SELECT 1').catch((e: unknown) => e)
    await db.close()
    expect((err as FlyerError).code).toBe(40002)
    expect((err as Error).message).toBe('MySQL unavailable (127.0.0.1:1/x): connect ECONNREFUSED 127.0.0.1:1')
  })

  it('fails within the connect timeout when the server never answers the handshake', async () => {
    const server = createServer(() => {}).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const db = createDb({ ...MYSQL, port: (server.address() as AddressInfo).port, database: 'x', connectTimeoutMs: 300, acquireTimeoutMs: 300 })
    const started = Date.now()
    const err = await db.query('SELECT 1').catch((e: unknown) => e)
    const elapsed = Date.now() - started
    await db.close()
    server.close()
    expect((err as FlyerError).code).toBe(40002)
    expect(elapsed).toBeLessThan(2000)
  })

  it('keeps importing free of sockets, and answers 503 when flyer_db_host is unset', async () => {
    await closeAll()
    useServicesEnv({})
    const err = (() => {
      try {
        mysql()
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(FlyerError)
    expect((err as FlyerError).status).toBe(503)
    expect((err as Error).message).toMatch(/^MySQL is not configured: set flyer_db_host/)
  })

  it('hands out one pool per process and closes it at shutdown', async () => {
    await closeAll()
    useServicesEnv({ flyer_db_host: '127.0.0.1', flyer_db_port: '1', flyer_db_name: 'x' })
    const first = mysql()
    expect(mysql()).toBe(first)
    await closeAll()
    expect(mysql()).not.toBe(first)
    await closeAll()
  })

  it('scopes lock names to the database and keeps them within 64 characters', () => {
    expect(lockName('flyer_outbox_relay', 'ops')).toBe('flyer_outbox_relay:ops')
    expect(lockName('flyer_outbox_relay', 'x'.repeat(64)).length).toBeLessThanOrEqual(64)
    expect(lockName('flyer_outbox_relay', 'x'.repeat(64))).not.toBe(lockName('flyer_outbox_relay', 'y'.repeat(64)))
  })
})
