import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Path (under `routes/`) of generated route file `i`: even ones POST a body, odd ones GET a `[id]`. */
export const fixturePath = (i: number): string => {
  const n = String(i).padStart(4, '0')
  const group = `g${String(Math.floor(i / 100)).padStart(2, '0')}`
  return i % 2 === 0 ? `flyer/v1/gen/${group}/r${n}.ts` : `flyer/v1/gen/${group}/r${n}/[id].ts`
}

/** Source of generated route file `i`: a realistic route with a zod schema, docs and a handler. */
export const fixtureSource = (i: number): string =>
  i % 2 === 0
    ? `import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json, z } from '#lib/schemas.ts'

const Body = z.object({ name: z.string().min(1).max(64), count: z.number().int().min(0).optional() })

export const POST = defineRoute(
  {
    summary: 'Generated route ${i}',
    request: { body: { required: true, content: { 'application/json': { schema: Body } } } },
    responses: { 200: json(CodeMsg, 'Done') },
  },
  (c) => c.json({ code: 200, msg: \`r${i} \${c.req.valid('json').name}\` }, 200),
)
`
    : `import { defineRoute } from '#lib/route.ts'
import { CodeMsg, json, z } from '#lib/schemas.ts'

export const GET = defineRoute(
  {
    summary: 'Generated route ${i}',
    request: { params: z.object({ id: z.string().max(64) }) },
    responses: { 200: json(CodeMsg, 'Found') },
  },
  (c) => c.json({ code: 200, msg: \`r${i} \${c.req.valid('param').id}\` }, 200),
)
`

const COPIED = ['lib', 'middleware', 'scripts', 'static', 'routes', 'server.ts', 'app.ts', 'package.json', 'tsconfig.json']

/**
 * A copy of `projectDir` in `dir` with `count` extra route files, built (`scripts/build.ts`: router table
 * and dist/server.mjs) so `node dist/server.mjs` and `bun dist/server.mjs` can start it. Never touches projectDir.
 */
export const makeManyRoutesProject = (projectDir: string, dir: string, count: number): void => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const name of COPIED) if (existsSync(join(projectDir, name))) cpSync(join(projectDir, name), join(dir, name), { recursive: true })
  symlinkSync(resolve(projectDir, 'node_modules'), join(dir, 'node_modules'), 'dir')
  for (let i = 0; i < count; i++) {
    const file = join(dir, 'routes', fixturePath(i))
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, fixtureSource(i))
  }
  const tsx = resolve(projectDir, 'node_modules/.bin/tsx')
  const built = spawnSync(tsx, ['scripts/build.ts'], { cwd: dir, encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`building the ${count}-route fixture failed:\n${built.stderr || built.stdout}`)
}
