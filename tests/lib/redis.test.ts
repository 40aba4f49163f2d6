import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { afterAll, describe as plainDescribe, expect, it } from 'vitest'
import { FlyerError } from '#lib/errors.ts'
import { closeRedis, createRedis, redis, redisError, redisUsable, type Redis } from '#lib/redis.ts'
import { closeAll } from '#lib/shutdown.ts'
import { needServices, quietLogs, randomName, randomRedisDb, REDIS, useServicesEnv } from '../helpers/services.ts'

const { describe } = await needServices('redis')

describe('lib/redis against Redis', () => {
  const clients: Redis[] = []
  const open = (extra: Partial<Parameters<typeof createRedis>[0]> = {}) => {
    const c = createRedis({ ...REDIS, db: randomRedisDb(), ...extra })
    clients.push(c)
    return c
  }
  afterAll(async () => {
    await Promise.all(clients.map((c) => closeRedis(c)))
    await closeAll()
  })

  it('opens no socket until the first command', async () => {
    const c = open()
    expect(c.status).toBe('wait')
    expect(await c.ping()).toBe('PONG')
    expect(c.status).toBe('ready')
  })

  it('reads and writes in its own db under a prefix', async () => {
    const prefix = `${randomName('flyer_test')}:`
    const c = open({ keyPrefix: prefix })
    await c.set('k', 'v', 'EX', 60)
    expect(await c.get('k')).toBe('v')
    const raw = open({ db: c.options.db })
    expect(await raw.get(`${prefix}k`)).toBe('v')
  })

  it('closes with QUIT', async () => {
    const c = open()
    await c.ping()
    await closeRedis(c)
    expect(c.status).toBe('end')
  })

  it('is the process client from flyer_redis_*, closed by closeAll()', async () => {
    await closeAll()
    quietLogs()
    useServicesEnv({ flyer_redis_host: REDIS.host, flyer_redis_port: String(REDIS.port), flyer_redis_db: String(randomRedisDb()) })
    const c = redis()
    expect(redis()).toBe(c)
    expect(await c.ping()).toBe('PONG')
    await closeAll()
    expect(c.status).toBe('end')
    expect(redis()).not.toBe(c)
    await closeAll()
  })
})

const freePort = async () => {
  const s = createServer().listen(0, '127.0.0.1')
  await new Promise((r) => s.once('listening', r))
  const { port } = s.address() as AddressInfo
  await new Promise((r) => s.close(r))
  return port
}

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0

plainDescribe('lib/redis when Redis is down', () => {
  it('fails the first command fast with a clear error, and stays fast while down', async () => {
    const c = createRedis({ host: '127.0.0.1', port: 1 })
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now()
        const err = await c.get('x').catch((e: unknown) => e)
        expect(err).toBeInstanceOf(Error)
        expect(Date.now() - started).toBeLessThan(1500)
        const wrapped = redisError(err, 'Redis GET')
        expect(wrapped).toBeInstanceOf(FlyerError)
        expect(wrapped.code).toBe(40002)
        expect(wrapped.message).toMatch(/^Redis GET failed: /)
      }
      expect(redisUsable(c)).toBe(false)
    } finally {
      c.disconnect()
    }
  })

  it('times a command out when the server accepts but never answers', async () => {
    const server = createServer(() => {}).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const c = createRedis({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, connectTimeoutMs: 300, commandTimeoutMs: 300 })
    try {
      const started = Date.now()
      await expect(c.get('x')).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(1500)
    } finally {
      c.disconnect()
      server.close()
    }
  })

  it('answers 503 naming flyer_redis_host when Redis is not configured', async () => {
    await closeAll()
    useServicesEnv({})
    expect(() => redis()).toThrow(/^Redis is not configured: set flyer_redis_host/)
  })

  it.skipIf(!hasRedisServer)(
    `reconnects by itself when Redis comes back${hasRedisServer ? '' : ' — skipped: redis-server not installed'}`,
    async () => {
      const port = await freePort()
      const start = (): ChildProcess => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      const waitUntil = async (ok: () => Promise<boolean>, ms = 10_000) => {
        const end = Date.now() + ms
        while (Date.now() < end) {
          if (await ok().catch(() => false)) return true
          await new Promise((r) => setTimeout(r, 100))
        }
        return false
      }
      let server = start()
      const c = createRedis({ host: '127.0.0.1', port })
      try {
        expect(await waitUntil(async () => (await c.ping()) === 'PONG')).toBe(true)
        server.kill('SIGKILL')
        await new Promise((r) => server.once('exit', r))
        expect(await waitUntil(async () => !redisUsable(c))).toBe(true)
        await expect(c.ping()).rejects.toThrow()
        server = start()
        expect(await waitUntil(async () => (await c.ping()) === 'PONG')).toBe(true)
        expect(c.status).toBe('ready')
      } finally {
        c.disconnect()
        server.kill('SIGKILL')
      }
    },
  )
})
