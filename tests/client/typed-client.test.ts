import { hc, type InferRequestType, type InferResponseType } from 'hono/client'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { closeAll } from '#lib/shutdown.ts'
import type { AppType } from '../../app.ts'
import { testApp } from '../helpers/app.ts'
import { createTestDatabase, mysqlEnv, needServices, quietLogs, useServicesEnv } from '../helpers/services.ts'

/** A typed client whose fetch goes straight into the app in-process: no socket. */
const client = (env: Record<string, string> = {}) => {
  const { app, config } = testApp(env)
  return hc<AppType>(`http://flyer.test${config.prefix}`, { fetch: (input: RequestInfo | URL, init?: RequestInit) => app.request(input, init) })
}

describe('typed client: hc<AppType> (hono/client)', () => {
  it('posts a typed JSON body and reads a typed reply', async () => {
    const res = await client().demo.$post({ json: { msgContent: 'Flyer' } })
    expect(res.status).toBe(200)
    const body = await res.json()
    expectTypeOf(body).toEqualTypeOf<{ code: number; msg: string }>()
    expect(body).toEqual({ code: 200, msg: 'Hello Flyer!' })
  })

  it('fills path parameters', async () => {
    const res = await client().demo[':name'].$get({ param: { name: 'Jager' } })
    expect(await res.json()).toEqual({ code: 200, msg: 'Hello Jager!' })
  })

  it('builds URLs under a configured prefix', async () => {
    const res = await client({ flyer_base_url: '/ops', flyer_version: 'v2' }).health_check.$get()
    expect(await res.json()).toEqual({ msg: 'success', code: 200 })
  })

  it('types request inputs from the route schemas', () => {
    const c = hc<AppType>('http://flyer.test/flyer/v1')
    expectTypeOf<InferRequestType<typeof c.demo.$post>['json']>().toEqualTypeOf<{ msgContent: string }>()
    expectTypeOf<InferRequestType<(typeof c.demo)[':name']['$get']>['param']>().toEqualTypeOf<{ name: string }>()
    expectTypeOf<InferResponseType<typeof c.health_check.$get>>().toEqualTypeOf<{ code: number; msg: string }>()
    expect(c.demo.$url().pathname).toBe('/flyer/v1/demo')
    expect(c.demo[':name'].$url({ param: { name: 'x y' } }).pathname).toBe('/flyer/v1/demo/x%20y')
  })

  it('rejects wrong bodies, unknown routes and missing params at compile time; the server still validates', async () => {
    const c = client()
    // @ts-expect-error msgContent must be a string
    const res = await c.demo.$post({ json: { msgContent: 42 } })
    expect((await res.json()).code).toBe(40000)
    // Checked by tsc only (`npm test` runs it); never called.
    const compileOnly = () => {
      // @ts-expect-error no such route
      void c.nope.$get()
      // @ts-expect-error the {name} parameter is required
      void c.demo[':name'].$get({})
    }
    expectTypeOf(compileOnly).toBeFunction()
  })
})

describe('typed client: host routes', () => {
  it('types the host routes\' params, query and bodies', () => {
    const c = hc<AppType>('http://flyer.test/flyer/v1')
    expectTypeOf<InferRequestType<(typeof c.hosts)[':ip']['$get']>['param']>().toEqualTypeOf<{ ip: string }>()
    expectTypeOf<InferRequestType<typeof c.hosts.$post>['json']>().toHaveProperty('hostname').toEqualTypeOf<string>()
    expectTypeOf<InferRequestType<typeof c.hosts.$get>['query']>().toHaveProperty('size')
    expectTypeOf<InferResponseType<(typeof c.hosts)[':ip']['$get'], 200>['data']>().toHaveProperty('ip').toEqualTypeOf<string>()
    expect(c.hosts[':ip'].$url({ param: { ip: '10.0.0.8' } }).pathname).toBe('/flyer/v1/hosts/10.0.0.8')
  })

  it('sends host requests through validation (no database needed for a bad address)', async () => {
    const res = await client().hosts[':ip'].$get({ param: { ip: 'not-an-ip' } })
    const body = await res.json()
    expect(body.code).toBe(40000)
    expect((body as { msg: string }).msg).toContain('path.ip')
  })
})

const mysqlSuite = await needServices('mysql')

mysqlSuite.describe('typed client: host routes against MariaDB', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let env: Record<string, string>
  beforeAll(async () => {
    quietLogs()
    database = await createTestDatabase()
    ;({ env } = useServicesEnv(mysqlEnv(database.name)))
  })
  afterAll(async () => {
    await closeAll()
    await database?.drop()
  })

  it('creates, reads, lists, updates and deletes a host with typed calls', async () => {
    const api = client(env)
    const created = await api.hosts.$post({ json: { ip: '10.9.8.7', hostname: 'Web-1.dc1', tags: ['web'] } })
    expect(created.status).toBe(200)
    const host = await created.json()
    if (!('data' in host)) throw new Error(`create failed: ${JSON.stringify(host)}`)
    expect(host.data).toMatchObject({ ip: '10.9.8.7', hostname: 'web-1.dc1', tags: ['web'] })

    const got = await api.hosts[':ip'].$get({ param: { ip: '10.9.8.7' } })
    expect(got.status).toBe(200)
    if (got.status === 200) expect((await got.json()).data.hostname).toBe('web-1.dc1')

    const page = await api.hosts.$get({ query: { tag: 'web', size: '10' } })
    if (page.status !== 200) throw new Error(`list answered ${page.status}`)
    const listed = await page.json()
    expect(listed.data.map((h) => h.ip)).toEqual(['10.9.8.7'])
    expect(listed.pagination).toEqual({ total: 1, offset: 1, size: 10 })

    const updated = await api.hosts[':ip'].$put({ param: { ip: '10.9.8.7' }, json: { comment: 'rack 12' } })
    expect(updated.status).toBe(200)
    const deleted = await api.hosts[':ip'].$delete({ param: { ip: '10.9.8.7' } })
    expect(await deleted.json()).toMatchObject({ code: 200 })
    expect((await api.hosts[':ip'].$get({ param: { ip: '10.9.8.7' } })).status).toBe(404)
  })
})
