import { spawn, spawnSync } from 'node:child_process'
import { watch } from 'node:fs'
import { parseArgs } from 'node:util'

const HELP = `Usage: npm run dev

Development server: NODE_ENV=development (readable logs, response validation on), restarts on any
source change (tsx watch), and regenerates the router table when a file under routes/ is added,
renamed, deleted or changed. Always one process (flyer_workers is ignored, so the watcher
sees every import). Set flyer_reload=0 to run once without watching.`

const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h', default: false } } })
if (values.help) {
  console.log(HELP)
  process.exit(0)
}

const env = { ...process.env, NODE_ENV: 'development', flyer_workers: '1' }
const tsx = 'node_modules/.bin/tsx'
const generate = () => spawnSync(tsx, ['scripts/routes.ts'], { stdio: 'inherit', env })

generate()
const watching = (process.env.flyer_reload ?? '1') !== '0'
const server = spawn(tsx, watching ? ['watch', '--clear-screen=false', 'server.ts'] : ['server.ts'], { stdio: 'inherit', env })

if (watching) {
  let timer: NodeJS.Timeout | undefined
  watch('routes', { recursive: true }, (_event, name) => {
    if (!name || name.endsWith('_router.gen.ts')) return
    clearTimeout(timer)
    // The generated file changing makes tsx watch restart the server with the new table.
    timer = setTimeout(generate, 150)
  })
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.kill(signal))
server.on('exit', (code) => process.exit(code ?? 0))
