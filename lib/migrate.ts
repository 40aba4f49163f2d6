import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import { ErrorCode, FlyerError } from './errors.ts'
import { lockName, openSession, type MysqlOptions, type Session } from './mysql.ts'

/** `migrations/` at the project root (from `lib/` and from the `dist/` bundle alike). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url))

const FILE = /^(\d{3,})_[a-z0-9_]+\.sql$/

export interface Migration {
  name: string
  statements: string[]
  checksum: string
}

/** Splits a migration into statements: each ends with `;` at the end of a line; `--` lines are comments. */
export const splitStatements = (sql: string): string[] =>
  sql
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean)

/** The migration files of `dir`, in name order (`001_hosts.sql`, `002_outbox.sql`…). */
export const readMigrations = async (dir = MIGRATIONS_DIR): Promise<Migration[]> => {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort()
  const bad = names.filter((n) => !FILE.test(n))
  if (bad.length) throw new Error(`Migration file names must look like 003_add_racks.sql: rename ${bad.join(', ')}`)
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8')
      return { name, statements: splitStatements(sql), checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

export interface MigrateOptions {
  dir?: string
  log?: Pick<Logger, 'info'>
  /** List what would run without running it. */
  dryRun?: boolean
  /** How long to wait for another process that is migrating. */
  lockTimeoutSec?: number
}

export interface MigrateResult {
  applied: string[]
  pending: string[]
  alreadyApplied: string[]
}

const ensureTable = (s: Session) =>
  s.connection.query(
    `CREATE TABLE IF NOT EXISTS flyer_migrations (
       name VARCHAR(255) NOT NULL PRIMARY KEY,
       checksum CHAR(64) NOT NULL,
       applied_at DATETIME(3) NOT NULL
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  )

/**
 * Applies the migrations not applied yet, in order, idempotently. Several processes starting at once
 * are serialised by a MySQL named lock; a migration edited after it was applied is refused.
 * @example
 * await migrate(mysqlOptions(config().db!), { log })
 */
export const migrate = async (db: MysqlOptions, { dir, log, dryRun = false, lockTimeoutSec = 60 }: MigrateOptions = {}): Promise<MigrateResult> => {
  const migrations = await readMigrations(dir)
  const s = await openSession({ ...db, queryTimeoutMs: (lockTimeoutSec + 5) * 1000 })
  const LOCK = lockName('flyer_migrations', db.database)
  try {
    const [lock] = await s.query<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', [LOCK, lockTimeoutSec])
    if (lock?.got !== 1) {
      throw new FlyerError(ErrorCode.VALIDATE_RESPONSE_CODE_ERROR, `Another process held the migration lock for more than ${lockTimeoutSec} s`)
    }
    try {
      // --status changes nothing, not even the bookkeeping table.
      const [exists] = await s.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'flyer_migrations'",
      )
      if (!dryRun) await ensureTable(s)
      const rows = dryRun && !Number(exists?.n) ? [] : await s.query<{ name: string; checksum: string }>('SELECT name, checksum FROM flyer_migrations')
      const done = new Map(rows.map((r) => [r.name, r.checksum]))
      const changed = migrations.filter((m) => done.has(m.name) && done.get(m.name) !== m.checksum)
      if (changed.length) {
        throw new Error(`Migration ${changed.map((m) => m.name).join(', ')} changed after it was applied; put the change in a new migration file instead`)
      }
      const pending = migrations.filter((m) => !done.has(m.name))
      const result: MigrateResult = { applied: [], pending: pending.map((m) => m.name), alreadyApplied: [...done.keys()].sort() }
      if (dryRun) return result
      for (const m of pending) {
        // DDL commits implicitly in MySQL, so a migration is not atomic: write each statement re-runnable (IF NOT EXISTS).
        for (const statement of m.statements) await s.connection.query(statement)
        await s.execute('INSERT INTO flyer_migrations (name, checksum, applied_at) VALUES (?, ?, ?)', [m.name, m.checksum, new Date()])
        result.applied.push(m.name)
        log?.info({ migration: m.name }, 'migration applied')
      }
      return result
    } finally {
      if (s.alive) await s.query('SELECT RELEASE_LOCK(?) AS released', [LOCK]).catch(() => undefined)
    }
  } finally {
    await s.close()
  }
}

/** `CREATE DATABASE IF NOT EXISTS` for `db.database` (utf8mb4), for `npm run migrate -- --create-database`. */
export const createDatabase = async (db: MysqlOptions): Promise<void> => {
  const s = await openSession(db, { database: false })
  try {
    await s.connection.query(`CREATE DATABASE IF NOT EXISTS ${s.connection.escapeId(db.database)} CHARACTER SET utf8mb4`)
  } finally {
    await s.close()
  }
}
