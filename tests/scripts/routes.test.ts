import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { scanRoutes } from '../../scripts/generate-router.ts'
import { printRoutes } from '../../scripts/print-routes.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const fixture = (name: string) => resolve(ROOT, 'tests/fixtures', name)

/** scanRoutes' error message for a fixture tree under tests/fixtures/broken-routes/. */
const problemsOf = async (tree: string): Promise<string> => {
  const err = await scanRoutes(fixture(`broken-routes/${tree}`), ROOT).then(
    () => undefined,
    (e: Error) => e,
  )
  expect(err, `${tree} should be rejected`).toBeInstanceOf(Error)
  return err!.message
}

const routesCli = (...args: string[]) => {
  const r = spawnSync(resolve(ROOT, 'node_modules/.bin/tsx'), ['scripts/routes.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('npm run routes -- --print', () => {
  it('lists method, URL pattern, file, auth and summary, static segments first', async () => {
    const out = await printRoutes(await scanRoutes(fixture('routes-print'), ROOT), {})
    const lines = out.split('\n')
    expect(lines[0]).toMatch(/^METHOD\s+URL\s+FILE\s+AUTH\s+SUMMARY$/)
    const rows = lines.slice(1, lines.indexOf('')).map((l) => l.split(/\s{2,}/))
    expect(rows).toEqual([
      ['GET', '/flyer/v1/health_check', 'tests/fixtures/routes-print/flyer/v1/health_check.ts', 'open', 'Health check'],
      ['GET', '/flyer/v1/hosts/search', 'tests/fixtures/routes-print/flyer/v1/hosts/search.ts', 'open', 'Search hosts'],
      ['GET', '/flyer/v1/hosts/{ip}', 'tests/fixtures/routes-print/flyer/v1/hosts/[ip].ts', 'basic', 'Get a host'],
      ['DELETE', '/flyer/v1/hosts/{ip}', 'tests/fixtures/routes-print/flyer/v1/hosts/[ip].ts', 'basic', '-'],
      ['POST', '/flyer/v1/ops/restart', 'tests/fixtures/routes-print/flyer/v1/ops/restart.ts', 'basic', 'Restart a service'],
      ['GET', '/other/thing', 'tests/fixtures/routes-print/other/thing.ts', 'basic', 'Outside the service root'],
    ])
    expect(lines.at(-1)).toBe('6 routes. Basic auth is off (flyer_auth_enable=0): every route is open; AUTH shows what applies when it is on.')
  })

  it('shows URLs under the configured base url and version, and says when auth is on', async () => {
    const out = await printRoutes(await scanRoutes(fixture('routes-print'), ROOT), {
      flyer_base_url: '/ops',
      flyer_version: 'v2',
      flyer_auth_enable: '1',
      flyer_auth_user: 'ops',
      flyer_auth_pass: 'secret',
    })
    expect(out).toMatch(/^POST\s+\/ops\/v2\/ops\/restart\s/m)
    expect(out).toMatch(/^GET\s+\/other\/thing\s/m)
    expect(out).toContain('Basic auth is on')
    expect(out).not.toContain('secret')
  })

  it('prints from the command line with --dir', () => {
    const { code, out } = routesCli('--print', '--dir', 'tests/fixtures/routes-print')
    expect(code).toBe(0)
    expect(out).toMatch(/^POST\s+\/flyer\/v1\/ops\/restart\s+tests\/fixtures\/routes-print\/flyer\/v1\/ops\/restart\.ts\s+basic\s+Restart a service$/m)
  })

  it('skips _-prefixed helpers', async () => {
    const routes = await scanRoutes(fixture('routes-print'), ROOT)
    expect(routes.map((r) => r.file).filter((f) => f.includes('_shared'))).toEqual([])
    expect(routes.find((r) => r.path === '/hosts/search')?.tag).toBe('inventory')
  })
})

describe('router generator errors', () => {
  it('rejects two files claiming one method and path, naming both and the fix', async () => {
    const msg = await problemsOf('duplicate')
    expect(msg).toContain(
      'tests/fixtures/broken-routes/duplicate/flyer/v1/probe/copy.ts and tests/fixtures/broken-routes/duplicate/flyer/v1/probe/copy/index.ts both claim GET /probe/copy',
    )
    expect(msg).toContain('delete or rename one of them')
  })

  it('rejects a [param] in the file name that request.params does not declare', async () => {
    const msg = await problemsOf('param-missing')
    expect(msg).toContain('param-missing/flyer/v1/things/[id].ts: GET has path parameter(s) {id} from the file name but its request.params schema does not declare them')
    expect(msg).toContain('add request: { params: z.object({ id: z.string() }) }')
  })

  it('rejects request.params the file path does not have', async () => {
    const msg = await problemsOf('param-extra')
    expect(msg).toContain('param-extra/flyer/v1/things.ts: GET declares request.params id that the file path does not have')
    expect(msg).toContain('rename the file or folder to [id]')
  })

  it('rejects an export that is neither a method nor meta', async () => {
    const msg = await problemsOf('bad-export')
    expect(msg).toContain('bad-export/flyer/v1/x.ts: export "helper" is neither an HTTP method')
    expect(msg).toContain('move shared code to a _file.ts next to it or into lib/')
  })

  it('rejects names that cannot be URLs, each with what to do', async () => {
    const msg = await problemsOf('bad-name')
    expect(msg).toMatch(/Route table has 2 problem\(s\)/)
    expect(msg).toContain('bad-name/flyer/v1/bad name.ts: "bad name" cannot be a URL segment: use letters, digits and . _ ~ -')
    expect(msg).toContain('bad-name/flyer/v1/[...rest]/more.ts: catch-all "[...rest]" must be the last segment')
  })

  it('rejects a method export not made with defineRoute and a file without routes', async () => {
    const msg = await problemsOf('not-a-route')
    expect(msg).toContain('not-a-route/flyer/v1/plain.ts: export GET is not a route; make it with defineRoute')
    expect(msg).toContain('not-a-route/flyer/v1/empty.ts: exports no route')
  })

  it('exits 1 from the command line and writes nothing', () => {
    const { code, out, err } = routesCli('--dir', 'tests/fixtures/broken-routes/duplicate', '--out', '/dev/null/never-written.ts')
    expect(code).toBe(1)
    expect(out).toBe('')
    expect(err).toContain('both claim GET /probe/copy')
  })
})
