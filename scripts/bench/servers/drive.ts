// What both in-process drivers (in-process.ts for Node, in-process-bun.ts for Bun) share: counting the
// answers of their 64 connections, and the two ways a run ends — after `seconds`, printing CPU per request,
// or, with FLYER_BENCH_COUNT set, after a counted number of requests (scripts/bench/instructions.ts).
import { existsSync, renameSync, writeFileSync } from 'node:fs'

/** The answers so far, the first failure, and whether the connections keep sending. */
export class Load {
  answered = 0
  failed = ''
  running = true

  /** `resume` starts every connection sending again after `running` was false. */
  constructor(private readonly resume: () => void) {}

  /** Counts one answer; the first one of 400 or above is the run's failure. */
  answer(status: number): void {
    this.answered++
    if (status >= 400 && !this.failed) this.failed = `answered ${status}`
  }

  restart(): void {
    this.running = true
    this.resume()
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Settles once `ok()` holds, checked every 5 ms. */
const until = async (ok: () => boolean) => {
  while (!ok()) await sleep(5)
}

/** Stops sending and waits for the answers in flight. */
const quiesce = async (load: Load) => {
  load.running = false
  let last = -1
  await until(() => {
    const same = load.answered === last
    last = load.answered
    return same
  })
}

/**
 * Runs the measurement once the connections are sending, prints one JSON line and exits. Count mode
 * (`FLYER_BENCH_COUNT=warm,n,dir`, for instruction counts under callgrind): after `warm` answers it
 * pauses and writes dir/ready; on dir/go it answers `n` more, pauses, writes dir/done holding the count,
 * and exits on dir/exit — the counter is switched on and off between. Otherwise: 1.5 s of warm-up, then
 * `seconds` measured.
 */
export const drive = async (load: Load, seconds: number): Promise<never> => {
  const count = process.env.FLYER_BENCH_COUNT
  if (count) {
    const [warm, n, dir] = count.split(',') as [string, string, string]
    await until(() => load.answered >= Number(warm))
    await quiesce(load)
    writeFileSync(`${dir}/ready`, '')
    await until(() => existsSync(`${dir}/go`))
    const start = load.answered
    load.restart()
    await until(() => load.answered - start >= Number(n))
    await quiesce(load)
    // Written whole, then renamed: the counter reads it as soon as it exists.
    writeFileSync(`${dir}/done.tmp`, String(load.answered - start))
    renameSync(`${dir}/done.tmp`, `${dir}/done`)
    await until(() => existsSync(`${dir}/exit`))
    console.log(JSON.stringify({ requests: load.answered - start, failed: load.failed || undefined }))
    process.exit(0)
  }
  await sleep(1500) // warm-up: JIT tiers settle
  const n0 = load.answered
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await sleep(seconds * 1000)
  const cpu = process.cpuUsage(cpu0)
  const n = load.answered - n0
  load.running = false
  console.log(JSON.stringify({ requests: n, cpuUs: (cpu.user + cpu.system) / n, rps: n / ((performance.now() - t0) / 1000), failed: load.failed || undefined }))
  process.exit(0)
}
