// Instructions per request, counted by callgrind (valgrind): the in-process driver answers `warm`
// requests uninstrumented, then callgrind counts the next `n`. On a shared VM whose speed drifts 2–5×
// within the hour, counts of one build moved less than timings (bare Hono 52–57k a request in three
// counts) but not always little (Flyer's health check 69–86k in three, not yet explained — perhaps the
// app's timers and V8's background work, which land in the window by wall-clock time): compare builds by
// several counts each. It leaves out what the CPU does not execute as instructions (cache misses, the kernel), so
// it guides changes to code, and the load rows stay the measure of throughput.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** valgrind and callgrind_control on PATH (Debian: `apt-get install -y valgrind`). */
export const haveCallgrind = (): boolean =>
  ['valgrind', 'callgrind_control'].every((bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0)

/** The instructions callgrind reports having counted, from its stderr (`==123== Collected : 456`). */
export const collected = (stderr: string): number | undefined => {
  const m = /Collected : (\d+)/.exec(stderr)
  return m ? Number(m[1]) : undefined
}

export interface CountOptions {
  /** `node` and its arguments: the in-process driver and its own. */
  command: string[]
  env: NodeJS.ProcessEnv
  cwd: string
  /** Requests answered before counting (the JIT settles; default 20,000). */
  warm?: number
  /** Requests counted (default 10,000). */
  n?: number
  /** Gives up after this long (default 10 minutes: valgrind runs Node ~50× slower). */
  timeoutMs?: number
}

/**
 * Runs the in-process driver under callgrind in count mode (FLYER_BENCH_COUNT) and returns the
 * instructions per counted request. Instrumentation is off until the warm-up is done, switched on with
 * `callgrind_control -i on` while the driver waits, and off again once its `n` answers are in.
 */
export const instructionsPerRequest = async ({ command, env, cwd, warm = 20_000, n = 10_000, timeoutMs = 600_000 }: CountOptions): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'flyer-callgrind-'))
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'callgrind.out')}`, ...command], {
    cwd,
    env: { ...env, FLYER_BENCH_COUNT: `${warm},${n},${dir}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stdout.resume()
  const exited = new Promise<number | null>((done) => child.on('close', done))
  let gone = false
  void exited.then(() => (gone = true))
  const deadline = Date.now() + timeoutMs
  const waitFor = async (file: string) => {
    while (!existsSync(join(dir, file))) {
      if (gone) throw new Error(`the driver exited before ${file}: ${stderr.trim().split('\n').at(-1) ?? ''}`)
      if (Date.now() > deadline) throw new Error(`no ${file} after ${timeoutMs / 1000} s`)
      await sleep(200)
    }
  }
  const control = (on: boolean) => {
    const r = spawnSync('callgrind_control', ['-i', on ? 'on' : 'off', String(child.pid)], { encoding: 'utf8', timeout: 60_000 })
    if (r.status !== 0) throw new Error(`callgrind_control -i ${on ? 'on' : 'off'}: ${(r.stderr || r.stdout).trim()}`)
  }
  try {
    await waitFor('ready')
    control(true)
    writeFileSync(join(dir, 'go'), '')
    await waitFor('done')
    control(false)
    const answered = Number(readFileSync(join(dir, 'done'), 'utf8'))
    writeFileSync(join(dir, 'exit'), '')
    await exited
    const total = collected(stderr)
    if (total === undefined || !answered) throw new Error(`callgrind reported no count: ${stderr.trim().split('\n').at(-1) ?? ''}`)
    return total / answered
  } finally {
    if (!gone) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
