import { appendFileSync, mkdirSync } from 'node:fs'
import type { LoadStats } from './load.ts'

/** Prints what a load test measured (requests sent/failed, restarts), and keeps it in .tmp/runtime/report.jsonl. */
export const report = (scenario: string, stats: LoadStats, extra: Record<string, unknown> = {}): void => {
  const row = { scenario, sent: stats.sent, ok: stats.ok, failed: stats.failed, errors: stats.errors, workersSeen: stats.pids.size, ...extra }
  console.log(`[measured] ${JSON.stringify(row)}`)
  mkdirSync('.tmp/runtime', { recursive: true })
  appendFileSync('.tmp/runtime/report.jsonl', `${JSON.stringify({ at: new Date().toISOString(), ...row })}\n`)
}
