#!/usr/bin/env -S npx tsx
import { parseArgs } from 'node:util'
import { ScaffoldError, scaffold } from './scaffold.ts'

const HELP = `Usage: npm run new -- <route> [--method POST] [--summary "Restart a service"]

Creates a route file from a template (request and response schemas, summary, handler) and a test
that passes as generated, then regenerates the router table. Never overwrites a file.

  <route>                 The file's path under routes/, without .ts. Its path is the URL:
                            flyer/v1/ops/restart      → /flyer/v1/ops/restart
                            flyer/v1/hosts/[ip]       → /flyer/v1/hosts/{ip}
                            flyer/v1/files/[...path]  → /flyer/v1/files/{path} (catch-all)
                            flyer/v1/ops/index        → /flyer/v1/ops
                          Segments: letters, digits and . _ ~ -; no leading _ or . (those are helpers).

Options:
  -m, --method <list>     GET, POST, PUT, PATCH, DELETE; repeat or comma-separate (default: GET).
  -s, --summary <text>    The OpenAPI summary (default: from the file name).
      --dir <path>        The routes folder (default: routes).
      --tests <path>      Where tests go (default: tests/routes), mirroring the route's path.
  -h, --help              Show this help.

Example:
  npm run new -- flyer/v1/ops/restart --method POST
    creates routes/flyer/v1/ops/restart.ts and tests/routes/flyer/v1/ops/restart.test.ts;
    POST /flyer/v1/ops/restart is served and in the docs.`

let parsed
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      method: { type: 'string', short: 'm', multiple: true, default: [] },
      summary: { type: 'string', short: 's' },
      dir: { type: 'string', default: 'routes' },
      tests: { type: 'string', default: 'tests/routes' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
} catch (err) {
  console.error(`${(err as Error).message}\n\n${HELP}`)
  process.exit(2)
}
const { values, positionals } = parsed

if (values.help) {
  console.log(HELP)
  process.exit(0)
}
if (positionals.length !== 1) {
  console.error(`${positionals.length ? 'Give exactly one route.' : 'Which route? e.g. npm run new -- flyer/v1/ops/restart --method POST'}\n\n${HELP}`)
  process.exit(2)
}

try {
  const r = await scaffold({ route: positionals[0]!, methods: values.method, summary: values.summary, routesDir: values.dir, testsDir: values.tests })
  console.log(`created ${r.routeFile}
created ${r.testFile}
router table regenerated (${r.routes} routes)

${r.operations.map((o) => `  ${o}`).join('\n')}

Next: edit the schemas and handler, then run  npx vitest run ${/^[\w./-]+$/.test(r.testFile) ? r.testFile : `'${r.testFile}'`}`)
  process.exit(0)
} catch (err) {
  if (err instanceof ScaffoldError) {
    console.error(`npm run new: ${err.message}`)
    process.exit(1)
  }
  throw err
}
