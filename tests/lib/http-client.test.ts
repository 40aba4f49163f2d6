import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { Hono } from 'hono'
import { createHttpClient, inbound, UpstreamError } from '#lib/http-client.ts'
import { onError } from '#middleware/error-envelope.ts'
import { requestId } from '#middleware/request-id.ts'

type Step = (req: IncomingMessage, res: ServerResponse, body: string) => void

/** A local server answering each request with the next scripted step (the last one repeats). */
let server: Server
let base: string
let script: Step[] = []
let seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string; at: number }[] = []

const reply = (status: number, body: unknown = { ok: status < 400 }, headers: Record<string, string> = {}): Step => (_req, res) => {
  // No keep-alive: a socket a test left hanging must not be reused by the next test's first attempt.
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers })
  res.end(JSON.stringify(body))
}
const hang: Step = () => {}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: Date.now() })
      const step = script.length > 1 ? script.shift()! : script[0]!
      step(req, res, body)
    })
  })
  server.listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterEach(() => {
  script = []
  seen = []
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise((r) => server.close(r))
})

const capture = () => {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = []
  return {
    lines,
    log: {
      info: (obj: object, msg: string) => void lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    },
  }
}

const fast = { backoffMs: 20, backoffLimitMs: 80 }

describe('lib/http-client', () => {
  it('retries a GET on 503 with backoff and sends the logId as X-Request-ID on every attempt', async () => {
    script = [reply(503), reply(502), reply(200, { version: '1.2.3' })]
    const { log, lines } = capture()
    const res = await createHttpClient({ log, ...fast }).get<{ version: string }>(`${base}/version`, { logId: 'req-42' })
    expect(res).toMatchObject({ status: 200, data: { version: '1.2.3' }, attempts: 3 })
    expect(seen.map((s) => s.headers['x-request-id'])).toEqual(['req-42', 'req-42', 'req-42'])
    expect(lines.map((l) => (l.obj.http as { status: number }).status)).toEqual([503, 502, 200])
    expect(lines.every((l) => l.obj.logId === 'req-42')).toBe(true)
  })

  it('never retries a POST, and reports the failure as code 40002 with the upstream status', async () => {
    script = [reply(503)]
    const err = await createHttpClient(fast).post(`${base}/deploy`, { json: { service: 'api' } }).catch((e: unknown) => e)
    expect(seen).toHaveLength(1)
    expect(err).toBeInstanceOf(UpstreamError)
    expect((err as UpstreamError).code).toBe(40002)
    expect((err as UpstreamError).upstreamStatus).toBe(503)
    expect((err as Error).message).toBe(`upstream POST ${base}/deploy answered 503 Service Unavailable`)
  })

  it('does not retry a 4xx other than 429', async () => {
    script = [reply(404, { error: 'no such host' })]
    const err = (await createHttpClient(fast).get(`${base}/hosts/x`).catch((e: unknown) => e)) as UpstreamError
    expect(seen).toHaveLength(1)
    expect(err.upstreamStatus).toBe(404)
  })

  it('returns a 4xx instead of throwing with throwHttpErrors: false', async () => {
    script = [reply(404, { error: 'no such host' })]
    const res = await createHttpClient(fast).get(`${base}/hosts/x`, { throwHttpErrors: false })
    expect(res).toMatchObject({ status: 404, data: { error: 'no such host' }, attempts: 1 })
  })

  it('waits as long as Retry-After asks on 429', async () => {
    script = [reply(429, {}, { 'retry-after': '1' }), reply(200)]
    const res = await createHttpClient(fast).get(`${base}/limited`)
    expect(res.attempts).toBe(2)
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(950)
  })

  it('fails at once when Retry-After asks for more than the deadline leaves', async () => {
    script = [reply(429, {}, { 'retry-after': '60' })]
    const started = Date.now()
    const err = (await createHttpClient({ ...fast, deadlineMs: 2000 }).get(`${base}/limited`).catch((e: unknown) => e)) as UpstreamError
    expect(seen).toHaveLength(1)
    expect(err.upstreamStatus).toBe(429)
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('retries network errors, then names the cause', async () => {
    const closed = createServer().listen(0, '127.0.0.1')
    await new Promise((r) => closed.once('listening', r))
    const { port } = closed.address() as AddressInfo
    await new Promise((r) => closed.close(r))
    const { log, lines } = capture()
    const err = (await createHttpClient({ log, ...fast, retries: 2 }).get(`http://127.0.0.1:${port}/x`).catch((e: unknown) => e)) as UpstreamError
    expect(err).toBeInstanceOf(UpstreamError)
    expect(err.attempts).toBe(3)
    expect(err.message).toBe(`upstream GET http://127.0.0.1:${port}/x failed: ECONNREFUSED (3 attempts)`)
    expect(lines).toHaveLength(3)
  })

  it('gives up an attempt after the timeout and the call after the deadline', async () => {
    script = [hang]
    const attempt = (await createHttpClient({ ...fast, timeoutMs: 150, retries: 0 }).get(`${base}/slow`).catch((e: unknown) => e)) as UpstreamError
    expect(attempt.message).toBe(`upstream GET ${base}/slow timed out after 150 ms`)

    const started = Date.now()
    const whole = (await createHttpClient({ ...fast, timeoutMs: 5000, deadlineMs: 300 }).get(`${base}/slow`).catch((e: unknown) => e)) as UpstreamError
    expect(whole.message).toBe(`upstream GET ${base}/slow exceeded its 300 ms deadline`)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('stops when the inbound request is cancelled', async () => {
    script = [hang]
    const inbound = new AbortController()
    const call = createHttpClient(fast).get(`${base}/slow`, { signal: inbound.signal })
    setTimeout(() => inbound.abort(), 50)
    await expect(call).rejects.toThrow('was cancelled: the inbound request went away')
  })

  it('logs method, URL, status, latency and bodies with secrets redacted', async () => {
    script = [reply(500, { error: 'boom', token: 'server-secret' }), reply(200)]
    const { log, lines } = capture()
    await createHttpClient({ log, ...fast }).put(`${base}/cfg?api_key=abc123&x=1`, {
      json: { name: 'web', password: 'hunter2' },
      headers: { Authorization: 'Bearer s3cr3t' },
    })
    const text = JSON.stringify(lines)
    for (const secret of ['abc123', 'hunter2', 's3cr3t', 'server-secret']) expect(text).not.toContain(secret)
    const first = lines[0]!.obj.http as Record<string, unknown>
    expect(first).toMatchObject({ method: 'PUT', url: `${base}/cfg?api_key=[REDACTED]&x=1`, status: 500, attempt: 1 })
    expect(typeof first.latencyMs).toBe('number')
    expect(first.requestBody).toBe('{"name":"web","password":"[REDACTED]"}')
    expect(first.responseBody).toBe('{"error":"boom","token":"[REDACTED]"}')
    expect(lines[0]!.level).toBe('warn')
    expect(lines[1]!.level).toBe('info')
  })

  it('truncates long bodies in the log', async () => {
    script = [reply(400, { detail: 'x'.repeat(5000) })]
    const { log, lines } = capture()
    await createHttpClient({ log, logBodyChars: 100 }).get(`${base}/big`).catch(() => undefined)
    const body = (lines[0]!.obj.http as { responseBody: string }).responseBody
    expect(body.length).toBeLessThan(200)
    expect(body).toMatch(/more chars\]$/)
  })

  it('checks the answer against a schema and types the data', async () => {
    script = [reply(200, { hosts: [{ ip: '10.0.0.1' }] })]
    const Hosts = z.object({ hosts: z.array(z.object({ ip: z.string() })) })
    const { data } = await createHttpClient().get(`${base}/hosts`, { schema: Hosts })
    expect(data.hosts[0]!.ip).toBe('10.0.0.1')

    script = [reply(200, { hosts: [{ ip: 7 }] })]
    await expect(createHttpClient().get(`${base}/hosts`, { schema: Hosts })).rejects.toThrow('answered an unexpected body: hosts.0.ip')
  })

  it('joins prefixUrl and search parameters', async () => {
    script = [reply(200)]
    await createHttpClient({ prefixUrl: `${base}/api` }).get('hosts', { searchParams: { tag: 'web', size: 5 } })
    expect(seen[0]!.url).toBe('/api/hosts?tag=web&size=5')
  })

  it('propagates the inbound X-Request-ID and turns a failure into the 40002 envelope', async () => {
    script = [reply(502)]
    const client = createHttpClient({ ...fast, retries: 1 })
    const app = new Hono()
    app.use(requestId())
    app.onError(onError({ httpErrors: true, log: { error: () => {}, warn: () => {} } }))
    app.get('/proxy', async (c) => c.json((await client.get(`${base}/up`, inbound(c))).data as object))
    const res = await app.request('/proxy', { headers: { 'x-request-id': 'trace-7' } })
    expect(res.status).toBe(502)
    expect(await res.json()).toMatchObject({ code: 40002, msg: `upstream GET ${base}/up answered 502 Bad Gateway (2 attempts)`, logId: 'trace-7' })
    expect(seen.map((s) => s.headers['x-request-id'])).toEqual(['trace-7', 'trace-7'])
  })
})
