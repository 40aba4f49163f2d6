import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startProcess, waitFor200 } from '../helpers/server.ts'

// Issue 6, case 10: secrets never reach a log — checked by reading the log files the server wrote.
const SECRET = 'S3CRET-VALUE-9f2c'

describe('secrets in the log files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flyer-logs-'))
  let server: ReturnType<typeof startProcess>
  let base: string

  beforeAll(async () => {
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    server = startProcess('node', ['--import', 'tsx', 'server.ts'], {
      flyer_port: String(port),
      flyer_host: '127.0.0.1',
      flyer_workers: '1',
      flyer_log_dir: join(dir, 'app'),
      flyer_access_logfile: join(dir, 'access.log'),
      flyer_auth_enable: '1',
      flyer_auth_user: 'ops',
      flyer_auth_pass: SECRET,
      flyer_db_pass: SECRET,
      flyer_redis_pass: SECRET,
      flyer_log_level: 'debug',
    })
    await waitFor200(`${base}/health_check`, 30_000, server.proc)
    const auth = `Basic ${Buffer.from(`ops:${SECRET}`).toString('base64')}`
    const variants: [string, RequestInit][] = [
      ['/flyer/v1/demo', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', cookie: `session=${SECRET}`, 'X-API-KEY': SECRET }, body: JSON.stringify({ msgContent: 'x', password: SECRET, token: SECRET, nested: { clientSecret: SECRET, list: [{ Passwd: SECRET }] } }) }],
      [`/flyer/v1/demo/x?token=${SECRET}&api_key=${SECRET}&page=1`, { headers: { AUTHORIZATION: auth } }],
      ['/flyer/v1/demo', { method: 'POST', headers: { authorization: 'Basic ' + Buffer.from(`ops:wrong-${SECRET}`).toString('base64') }, body: JSON.stringify({ password: SECRET }) }],
      ['/flyer/v1/demo', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: `{"password":"${SECRET}", bad json` }],
    ]
    for (const [path, init] of variants) await fetch(base + path, init)
    await server.stop('SIGTERM')
  }, 60_000)

  afterAll(async () => {
    await server?.stop('SIGKILL')
  })

  const allLogs = () => {
    const files = [join(dir, 'access.log'), ...readdirSync(join(dir, 'app')).filter((f) => f.endsWith('.log')).map((f) => join(dir, 'app', f))]
    return { files, text: files.map((f) => readFileSync(f, 'utf8')).join('\n') + server.output() }
  }

  it('wrote the access log and the app log', () => {
    const { text } = allLogs()
    expect(text).toContain('\\"msgContent\\":\\"x\\"')
    expect(text).toContain('effective configuration')
  })

  it('never wrote a password, token, cookie, API key or Authorization value', () => {
    const { text } = allLogs()
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(Buffer.from(`ops:${SECRET}`).toString('base64'))
  })

  it('kept every access-log line valid JSON, one per request', () => {
    const lines = readFileSync(join(dir, 'access.log'), 'utf8').trim().split('\n').filter((l) => l.includes('/flyer/v1/demo'))
    expect(lines).toHaveLength(4)
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
  })
})
