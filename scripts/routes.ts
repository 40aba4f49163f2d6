#!/usr/bin/env -S npx tsx
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { renderRouter, scanRoutes } from './generate-router.ts'

const HELP = `Usage: npm run routes -- [options]

Walks routes/ and writes the router table routes/_router.gen.ts (static imports, sorted, deterministic).

Options:
  --check        Do not write; exit 1 if routes/_router.gen.ts is stale (CI, pre-commit).
  --print        Print the route table: method, URL pattern, file, auth, summary.
  --dir <path>   The routes folder (default: routes).
  --out <path>   The file to write (default: <dir>/_router.gen.ts).
  -h, --help     Show this help.

A file's path under routes/ is its URL: index.ts is its folder, [name] a parameter, [...rest] a catch-all;
files and folders starting with _ and *.test.ts are not routes. routes/flyer/v1/ mounts at
\${flyer_base_url}/\${flyer_version}. Each export named GET/POST/PUT/PATCH/DELETE is one route.`

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    print: { type: 'boolean', default: false },
    dir: { type: 'string', default: 'routes' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(HELP)
  process.exit(0)
}

const dir = resolve(values.dir)
const out = resolve(values.out ?? `${values.dir}/_router.gen.ts`)

try {
  const routes = await scanRoutes(dir, process.cwd())
  if (values.print) {
    const { printRoutes } = await import('./print-routes.ts')
    console.log(await printRoutes(routes))
    process.exit(0)
  }
  const text = renderRouter(routes)
  const current = await readFile(out, 'utf8').catch(() => undefined)
  if (values.check) {
    if (current !== text) {
      console.error(`${out} is stale: run \`npm run routes\` and commit the result.`)
      process.exit(1)
    }
    console.log(`router table is up to date (${routes.length} routes)`)
  } else if (current !== text) {
    await writeFile(out, text)
    console.log(`wrote ${out} (${routes.length} routes)`)
  } else {
    console.log(`router table unchanged (${routes.length} routes)`)
  }
  process.exit(0)
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}
