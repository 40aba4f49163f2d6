import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

/**
 * A throwaway copy of the project with only the demo routes, so the scaffolder never writes into the
 * real routes/ and other work in progress cannot break these tests.
 */
const makeProject = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'flyer-new-'))
  for (const f of ['package.json', 'tsconfig.json', 'vitest.config.ts', 'app.ts', 'lib', 'middleware', 'scripts', 'tests/helpers/app.ts']) {
    cpSync(join(ROOT, f), join(dir, f), { recursive: true })
  }
  for (const f of ['flyer/v1/demo.ts', 'flyer/v1/demo/[name].ts', 'flyer/v1/health_check.ts']) cpSync(join(ROOT, 'routes', f), join(dir, 'routes', f))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}

const run = (cwd: string, cmd: string, args: string[]) => {
  const r = spawnSync(join(ROOT, 'node_modules/.bin', cmd), args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test', flyer_log_file: '0', NO_COLOR: '1', FORCE_COLOR: '0' } })
  return { code: r.status, out: r.stdout + r.stderr }
}
const newRoute = (cwd: string, ...args: string[]) => run(cwd, 'tsx', ['scripts/new.ts', ...args])

/** Every file under a folder, relative, sorted: to show nothing was created. */
const tree = (dir: string): string[] => (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
  .filter((e) => e.isFile())
  .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
  .sort()

describe('npm run new (scaffolder)', () => {
  let dir: string
  beforeAll(() => {
    dir = makeProject()
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('explains itself with --help', () => {
    const { code, out } = newRoute(dir, '--help')
    expect(code).toBe(0)
    expect(out).toMatch(/Usage: npm run new -- <route>/)
    expect(out).toContain('--method')
  })

  it('creates the route, its test and the router-table entry; the test passes and type-checks as generated', { timeout: 120_000 }, () => {
    let r = newRoute(dir, 'flyer/v1/ops/restart', '--method', 'POST', '--summary', 'Restart a service')
    expect(r.code, r.out).toBe(0)
    expect(r.out).toContain('POST /flyer/v1/ops/restart')
    r = newRoute(dir, 'flyer/v1/things/[name]', '-m', 'get,put,patch,delete')
    expect(r.code, r.out).toBe(0)
    r = newRoute(dir, 'other/files/[...path]', '-m', 'GET')
    expect(r.code, r.out).toBe(0)

    const route = readFileSync(join(dir, 'routes/flyer/v1/ops/restart.ts'), 'utf8')
    expect(route).toContain("export const POST = defineRoute(")
    expect(route).toContain("summary: 'Restart a service'")
    expect(route).toMatch(/const Body = z\.object/)
    const table = readFileSync(join(dir, 'routes/_router.gen.ts'), 'utf8')
    expect(table).toContain('path: "/ops/restart"')
    expect(table).toContain('path: "/things/{name}"')
    expect(existsSync(join(dir, 'tests/routes/flyer/v1/things/[name].test.ts'))).toBe(true)

    const tests = ['tests/routes/flyer/v1/ops/restart.test.ts', 'tests/routes/flyer/v1/things/[name].test.ts', 'tests/routes/other/files/[...path].test.ts']
    const vitest = run(dir, 'vitest', ['run', ...tests])
    expect(vitest.code, vitest.out).toBe(0)
    expect(vitest.out).toMatch(/Tests\s+9 passed/)

    writeFileSync(join(dir, 'tsconfig.check.json'), JSON.stringify({ extends: './tsconfig.json', include: ['app.ts', 'routes', ...tests] }))
    const tsc = run(dir, 'tsc', ['-p', 'tsconfig.check.json', '--noEmit', '--checkers', '1'])
    expect(tsc.code, tsc.out).toBe(0)
  })

  it('refuses to overwrite a route file, or to add the same URL in its other form', () => {
    const file = join(dir, 'routes/flyer/v1/demo.ts')
    const before = readFileSync(file, 'utf8')
    let r = newRoute(dir, 'flyer/v1/demo', '-m', 'POST')
    expect(r.code).toBe(1)
    expect(r.out).toContain('routes/flyer/v1/demo.ts already exists')
    expect(r.out).toContain('never overwrites')
    expect(readFileSync(file, 'utf8')).toBe(before)
    r = newRoute(dir, 'flyer/v1/demo/index', '-m', 'GET')
    expect(r.code).toBe(1)
    expect(r.out).toContain('routes/flyer/v1/demo.ts already exists and serves this URL')
  })

  it.each([
    ['flyer/v1/bad name', 'cannot be a URL segment'],
    ['flyer/v1/ops/_helpers', 'not routes'],
    ['flyer/v1/[...rest]/more', 'must be the last segment'],
    ['flyer/v1/[id]/x/[id]', 'appears twice'],
    ['../outside', '".." segments'],
    ['flyer/v1/x.test', 'not a route'],
  ])('rejects %s, which cannot be a URL, and creates nothing', (name, message) => {
    const before = tree(dir)
    const r = newRoute(dir, name)
    expect(r.code).toBe(1)
    expect(r.out).toContain(message)
    expect(tree(dir)).toEqual(before)
  })

  it('rejects an unknown method', () => {
    const r = newRoute(dir, 'flyer/v1/x', '--method', 'FETCH')
    expect(r.code).toBe(1)
    expect(r.out).toContain('--method FETCH: use one of GET, POST, PUT, PATCH, DELETE')
  })

  it('takes back a route that clashes with another file, leaving the router table as it was', () => {
    const before = tree(dir)
    const table = readFileSync(join(dir, 'routes/_router.gen.ts'), 'utf8')
    const r = newRoute(dir, 'flyer/v1/demo/[id]', '-m', 'GET')
    expect(r.code).toBe(1)
    expect(r.out).toContain('not created')
    expect(r.out).toContain('both claim GET /demo/{name}')
    expect(r.out).toContain('routes/flyer/v1/demo/[name].ts')
    expect(tree(dir)).toEqual(before)
    expect(readFileSync(join(dir, 'routes/_router.gen.ts'), 'utf8')).toBe(table)
  })
})
