import { request as httpRequest } from 'node:http'
import { afterAll, describe, expect, it } from 'vitest'
import { createMetrics } from '#lib/metrics.ts'
import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json } from '#lib/schemas.ts'
import { jsonInit, testApp } from '../helpers/app.ts'
import { tableOf } from '../helpers/router.ts'
import { freePort, startProcess } from '../helpers/server.ts'
import { createApp } from '#lib/create-app.ts'
import { loadConfig } from '#lib/config.ts'

/** The value of one sample line, e.g. `flyer_http_requests_total{method="GET",…}`. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}
const requests = (method: string, route: string, status: number, code: number) =>
  `flyer_http_requests_total{method="${method}",route="${route}",status="${status}",code="${code}"}`

const scrape = async (app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> }, init?: RequestInit) => {
  const res = await app.request('/metrics', init)
  return { res, text: await res.text() }
}

describe('HttpMetrics', () => {
  it('counts requests and fills cumulative latency buckets', async () => {
    const m = createMetrics({ defaultMetrics: false, buckets: [0.1, 1] })
    m.http.observe('GET', '/x', 200, 200, 0.05)
    m.http.observe('GET', '/x', 200, 200, 0.5)
    m.http.observe('GET', '/x', 200, 200, 5)
    const text = await m.scrape()
    expect(sample(text, requests('GET', '/x', 200, 200))).toBe(3)
    const l = 'method="GET",route="/x",status="200",code="200"'
    expect(sample(text, `flyer_http_request_duration_seconds_bucket{${l},le="0.1"}`)).toBe(1)
    expect(sample(text, `flyer_http_request_duration_seconds_bucket{${l},le="1"}`)).toBe(2)
    expect(sample(text, `flyer_http_request_duration_seconds_bucket{${l},le="+Inf"}`)).toBe(3)
    expect(sample(text, `flyer_http_request_duration_seconds_sum{${l}}`)).toBeCloseTo(5.55)
    expect(sample(text, `flyer_http_request_duration_seconds_count{${l}}`)).toBe(3)
  })

  it('counts unknown methods as OTHER so junk cannot add series', async () => {
    const m = createMetrics({ defaultMetrics: false })
    for (const method of ['BREW', 'X1', 'PROPFIND']) m.http.observe(method, '/x', 405, 40000, 0.001)
    const text = await m.scrape()
    expect(sample(text, requests('OTHER', '/x', 405, 40000))).toBe(3)
    expect(text).not.toContain('BREW')
  })
})

describe('GET /metrics', () => {
  it('labels requests by method, route pattern (never the raw path), status and code', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const { app } = testApp({}, { metrics })
    for (const name of ['a', 'b', 'c']) await app.request(`/flyer/v1/demo/${name}`)
    await app.request('/flyer/v1/demo', jsonInit({ msgContent: 'Flyer' }))
    await app.request('/flyer/v1/demo', jsonInit({ msgContent: 7 }))
    await app.request('/no/such/path/12345')
    await app.request('/flyer/v1/demo', { method: 'DELETE' })
    const { res, text } = await scrape(app)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(sample(text, requests('GET', '/flyer/v1/demo/{name}', 200, 200))).toBe(3)
    expect(sample(text, requests('POST', '/flyer/v1/demo', 200, 200))).toBe(1)
    expect(sample(text, requests('POST', '/flyer/v1/demo', 200, 40000))).toBe(1)
    expect(sample(text, requests('GET', 'unmatched', 404, 40000))).toBe(1)
    expect(sample(text, requests('DELETE', '/flyer/v1/demo', 405, 40000))).toBe(1)
    expect(text).not.toMatch(/demo\/a"|12345/)
    expect(text).toContain('# TYPE flyer_http_request_duration_seconds histogram')
  })

  it('uses the HTTP status as code when the app set none on an error', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const router = tableOf([{ method: 'get', path: '/teapot', def: defineRoute({ responses: { 200: json(CodeMsg) } }, (c) => c.text('no', 418) as never) }])
    const app = createApp({ router, config: loadConfig({ flyer_log_file: '0' }), accessLog: false, metrics, log: { error() {}, warn() {}, info() {} } as never })
    await app.request('/flyer/v1/teapot')
    expect(sample((await scrape(app)).text, requests('GET', '/flyer/v1/teapot', 418, 418))).toBe(1)
  })

  it('labels every kind of route with the pattern Hono routed it by, in OpenAPI style', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const ok = defineRoute({ responses: { 200: json(CodeMsg) } }, (c) => c.json({ code: 200, msg: 'success' }, 200))
    const router = tableOf([
      { method: 'get', path: '/', def: ok },
      { method: 'get', path: '/hosts/{ip}', def: ok },
      { method: 'get', path: '/files/{rest}', catchAll: ['rest'], def: ok },
      { method: 'get', path: '/ops/ping', mount: 'root', def: ok },
    ])
    const app = createApp({ router, config: loadConfig({ flyer_log_file: '0' }), accessLog: false, metrics, log: { error() {}, warn() {}, info() {} } as never })
    const paths = ['/flyer/v1', '/flyer/v1/hosts/10.0.0.1', '/flyer/v1/files/a/b.txt', '/ops/ping', '/health_check', '/flyer/v1/openapi.json', '/flyer/static/logo.svg', '/flyer/static/none.txt']
    for (const path of paths) await app.request(path)
    const { text } = await scrape(app)
    for (const [route, status] of [
      ['/flyer/v1', 200],
      ['/flyer/v1/hosts/{ip}', 200],
      ['/flyer/v1/files/{rest}', 200],
      ['/ops/ping', 200],
      ['/health_check', 200],
      ['/flyer/v1/openapi.json', 200],
      ['/flyer/static/*', 200],
      ['/flyer/static/*', 404],
    ] as const) {
      expect(sample(text, requests('GET', route, status, status === 404 ? 40000 : 200)), `${route} ${status}`).toBe(1)
    }
  })

  it('reports requests in flight, the scrape itself included', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    let release!: () => void
    const gate = new Promise<void>((ok) => (release = ok))
    const router = tableOf([
      { method: 'get', path: '/slow', def: defineRoute({ responses: { 200: json(CodeMsg) } }, async (c) => (await gate, c.json({ code: 200, msg: 'ok' }, 200))) },
    ])
    const app = createApp({ router, config: loadConfig({ flyer_log_file: '0' }), accessLog: false, metrics, log: { error() {}, warn() {}, info() {} } as never })
    const slow = app.request('/flyer/v1/slow')
    expect(sample((await scrape(app)).text, 'flyer_http_requests_in_flight')).toBe(2)
    release()
    await slow
    expect(sample((await scrape(app)).text, 'flyer_http_requests_in_flight')).toBe(1)
  })

  it('includes process and event-loop metrics', async () => {
    const { app } = testApp({}, { metrics: createMetrics() })
    const { text } = await scrape(app)
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'flyer_eventloop_utilization_ratio']) {
      expect(sample(text, name), name).toBeGreaterThanOrEqual(0)
    }
  })

  it('is not served when flyer_metrics=0', async () => {
    const { app } = testApp({ flyer_metrics: '0' }, { metrics: createMetrics({ defaultMetrics: false }) })
    expect((await app.request('/metrics')).status).toBe(404)
  })

  it('needs Basic auth when flyer_auth_enable=1, and labels a rejected request with its route', async () => {
    const metrics = createMetrics({ defaultMetrics: false })
    const { app } = testApp({ flyer_auth_enable: '1', flyer_auth_user: 'ops', flyer_auth_pass: 's3cret' }, { metrics })
    expect((await app.request('/metrics')).status).toBe(401)
    await app.request('/flyer/v1/demo/x')
    const { res, text } = await scrape(app, { headers: { authorization: `Basic ${btoa('ops:s3cret')}` } })
    expect(res.status).toBe(200)
    expect(sample(text, requests('GET', '/flyer/v1/demo/{name}', 401, 40003))).toBe(1)
  })

  it('answers 503 with the envelope when the numbers cannot be gathered', async () => {
    const metrics = createMetrics({ defaultMetrics: false, scrape: () => Promise.reject(new Error('primary gone')) })
    const { app, logs } = testApp({}, { metrics })
    const res = await app.request('/metrics')
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({ code: 50000, msg: 'Metrics unavailable: primary gone' })
    expect(logs.errors.map((e) => e.msg)).toContain('metrics scrape failed')
  })
})

describe('registerGauge (client metrics hooks)', () => {
  it('reads a gauge at scrape time', async () => {
    const m = createMetrics({ defaultMetrics: false })
    let inUse = 3
    m.registerGauge('flyer_db_pool_in_use', 'MySQL connections in use', () => inUse)
    expect(sample(await m.scrape(), 'flyer_db_pool_in_use')).toBe(3)
    inUse = 5
    expect(sample(await m.scrape(), 'flyer_db_pool_in_use')).toBe(5)
  })

  it('takes labelled values and async collectors', async () => {
    const m = createMetrics({ defaultMetrics: false })
    m.registerGauge('flyer_outbox_backlog', 'Outbox rows not yet sent', async () => [{ labels: { topic: 'flyer' }, value: 7 }], { labelNames: ['topic'], aggregator: 'max' })
    expect(sample(await m.scrape(), 'flyer_outbox_backlog{topic="flyer"}')).toBe(7)
  })

  it('replaces a gauge registered again under the same name, and removes it on request', async () => {
    const m = createMetrics({ defaultMetrics: false })
    m.registerGauge('flyer_pool', 'pool', () => 1)
    const remove = m.registerGauge('flyer_pool', 'pool', () => 2)
    expect(sample(await m.scrape(), 'flyer_pool')).toBe(2)
    remove()
    expect(await m.scrape()).not.toContain('flyer_pool')
  })

  it('keeps gauges registered before the first scrape (the registry is made then), and removes one removed before it', async () => {
    const m = createMetrics({ defaultMetrics: false })
    m.registerGauge('flyer_early', 'early', () => 3)
    const gone = m.registerGauge('flyer_gone', 'removed before any scrape', () => 4)
    gone()
    const text = await m.scrape()
    expect(sample(text, 'flyer_early')).toBe(3)
    expect(text).not.toContain('flyer_gone')
    m.registerGauge('flyer_late', 'after the first scrape', () => 5)
    expect(sample(await m.scrape(), 'flyer_late')).toBe(5)
  })

  it('keeps the scrape working when a collector throws or hangs', async () => {
    const m = createMetrics({ defaultMetrics: false })
    m.registerGauge('flyer_broken', 'throws', () => {
      throw new Error('pool closed')
    })
    m.registerGauge('flyer_stuck', 'never answers', () => new Promise<number>(() => {}), { timeoutMs: 20 })
    m.registerGauge('flyer_fine', 'fine', () => 1)
    expect(sample(await m.scrape(), 'flyer_fine')).toBe(1)
  })
})

/** GET over a fresh connection each time, so node:cluster spreads the requests over its workers. */
const getFresh = (port: number, path: string): Promise<{ status: number; body: string }> =>
  new Promise((ok, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', fail)
    req.end()
  })

describe('under node:cluster', () => {
  const started: { stop: () => Promise<unknown> }[] = []
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()))
  })

  const startCluster = async (env: Record<string, string> = {}) => {
    const port = await freePort()
    const p = startProcess('node_modules/.bin/tsx', ['tests/fixtures/metrics-cluster/cluster.ts'], { PORT: String(port), WORKERS: '2', ...env })
    started.push(p)
    const end = Date.now() + 30_000
    while (!p.output().includes('ready')) {
      if (p.proc.exitCode !== null || Date.now() > end) throw new Error(`cluster did not start: ${p.output()}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    return port
  }

  it('answers /metrics from any worker with the sum over all workers', async () => {
    const port = await startCluster()
    const n = 20
    for (let i = 0; i < n; i++) expect((await getFresh(port, '/flyer/v1/health_check')).status).toBe(200)
    for (let i = 0; i < 2; i++) {
      const { status, body } = await getFresh(port, '/metrics')
      expect(status).toBe(200)
      expect(sample(body, requests('GET', '/flyer/v1/health_check', 200, 200))).toBe(n)
      expect(sample(body, 'flyer_metrics_workers{state="reporting"}')).toBe(2)
      expect(sample(body, 'flyer_metrics_workers{state="missing"}')).toBe(0)
      expect(sample(body, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0)
      expect(sample(body, 'process_resident_memory_bytes')).toBeGreaterThan(0)
      // Each scrape is counted by the worker that served it; the sum shows both scrapes after the second.
      expect(sample(body, requests('GET', '/metrics', 200, 200)) ?? 0).toBe(i)
    }
  })

  it('answers 503 rather than one worker\'s numbers when the primary does not aggregate', { timeout: 30_000 }, async () => {
    const port = await startCluster({ NO_PRIMARY_METRICS: '1' })
    const { status, body } = await getFresh(port, '/metrics')
    expect(status).toBe(503)
    expect(JSON.parse(body).msg).toMatch(/setupPrimaryMetrics/)
  })
})
