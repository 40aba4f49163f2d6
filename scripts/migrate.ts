#!/usr/bin/env -S npx tsx
import { parseArgs } from 'node:util'
import { config, ConfigError } from '#lib/config.ts'
import { createDatabase, MIGRATIONS_DIR, migrate } from '#lib/migrate.ts'
import { mysqlOptions } from '#lib/mysql.ts'

const HELP = `Usage: npm run migrate -- [options]

Applies the SQL files in migrations/ that the database flyer_db_name has not seen yet, in name order,
and records each in the table flyer_migrations. Safe to run again and from several processes at once
(a MySQL named lock serialises them). \`npm start\` does the same at start-up when flyer_db_host is set.

Options:
  --status            List applied and pending migrations; change nothing.
  --create-database   CREATE DATABASE IF NOT EXISTS flyer_db_name first (needs the privilege).
  --dir <path>        The migrations folder (default: migrations/).
  -h, --help          Show this help.

Connection: flyer_db_host (required), flyer_db_port, flyer_db_user, flyer_db_pass, flyer_db_name.
Exit status: 0 done, 1 failed, 2 bad configuration.`

const { values } = parseArgs({
  options: {
    status: { type: 'boolean', default: false },
    'create-database': { type: 'boolean', default: false },
    dir: { type: 'string', default: MIGRATIONS_DIR },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(HELP)
  process.exit(0)
}

let db
try {
  db = config().db
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(err.message)
  process.exit(2)
}
if (!db) {
  console.error('MySQL is not configured: set flyer_db_host (and flyer_db_name, flyer_db_user, flyer_db_pass). See npm run migrate -- --help')
  process.exit(2)
}

const options = mysqlOptions(db)
const where = `${db.user}@${db.host}:${db.port}/${db.database}`
try {
  if (values['create-database']) await createDatabase(options)
  const result = await migrate(options, { dir: values.dir, dryRun: values.status, log: { info: (o: object) => console.log(`applied ${(o as { migration: string }).migration}`) } })
  if (values.status) {
    console.log(`${where}: ${result.alreadyApplied.length} applied, ${result.pending.length} pending`)
    for (const name of result.alreadyApplied) console.log(`  applied  ${name}`)
    for (const name of result.pending) console.log(`  pending  ${name}`)
  } else {
    console.log(`${where}: ${result.applied.length ? `applied ${result.applied.join(', ')}` : 'up to date'}`)
  }
} catch (err) {
  const message = err instanceof Error ? err.message : String(err)
  const hint = /Unknown database/.test(message) ? ' (create it, or run npm run migrate -- --create-database)' : ''
  console.error(`migrate failed for ${where}: ${message}${hint}`)
  process.exit(1)
}
