import { mkdir, rm, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { buildServer } from './bundle.ts'
import { renderRouter, scanRoutes } from './generate-router.ts'

const HELP = `Usage: npm run build

Regenerates the router table, bundles server.ts into dist/server.mjs (hono and zod bundled, other
dependencies stay in node_modules), pino into dist/chunks/pino.cjs and pino-roll into
dist/chunks/pino-roll.cjs (with only the date-fns it uses), and writes the OpenAPI document to
dist/openapi.json. Needs no services and no env.`

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h', default: false } } })
if (values.help) {
  console.log(HELP)
  process.exit(0)
}

const routes = await scanRoutes('routes')
await writeFile('routes/_router.gen.ts', renderRouter(routes))
await mkdir('dist', { recursive: true })
await rm('dist/chunks', { recursive: true, force: true })
await buildServer('server.ts', 'dist', { sourcemap: 'linked' })

// The spec with the defaults only: what CI diffs to see API changes.
const { writeOpenApi } = await import('./openapi.ts')
const file = await writeOpenApi('dist/openapi.json')
console.log(`built dist/server.mjs and ${file} (${routes.length} routes)`)
