/** `flyer_threads` when unset: the original's default. */
export const DEFAULT_THREADS = 5

/** `flyer_worker_gc`: how a Node worker's V8 collects garbage (`singleThreadedGc`). */
export const WORKER_GC = ['auto', 'single', 'parallel'] as const
export type WorkerGc = (typeof WORKER_GC)[number]

export interface ForkSettings {
  dev: boolean
  workers: number | undefined
  threads: number
  gc: WorkerGc
}

const plainWhole = (v: string | undefined): number | undefined => {
  const t = v?.trim()
  return t && /^\d+$/.test(t) ? Number(t) : undefined
}

/**
 * What the primary reads of the environment before it forks its first worker, without the env schema:
 * loading zod is ~45 ms of a Node process's start here (~40 ms on Bun), and the first worker validates
 * the same environment anyway and hands the primary the result (lib/primary.ts). Only plain whole
 * numbers (and `flyer_worker_gc`'s three words) are read; any other value is left to that validation,
 * which then stops Flyer with the error.
 * @example
 * forkSettings({ flyer_workers: '4' }) // { dev: false, workers: 4, threads: 5, gc: 'auto' }
 */
export const forkSettings = (env: Record<string, string | undefined> = process.env): ForkSettings => ({
  dev: env.NODE_ENV === 'development',
  workers: plainWhole(env.flyer_workers),
  threads: plainWhole(env.flyer_threads) ?? DEFAULT_THREADS,
  gc: WORKER_GC.find((g) => g === env.flyer_worker_gc?.trim().toLowerCase()) ?? 'auto',
})

/**
 * Whether Node workers run with V8's `--single-threaded-gc`. V8 scavenges and marks with helper threads
 * besides the main one; a worker that has a CPU to itself and no more (as many workers as CPUs or more,
 * the default under a CPU limit) runs those helpers on the CPU it needs, and they only cost it: measured
 * here, a worker on one CPU serving the health check with the access log used ~5% less CPU a request
 * without them (about 2–3% in process), with p99 at a fixed rate no worse. `auto` turns them off when
 * the workers are at least the CPUs available, `single` always, `parallel` never (V8's default).
 * @example
 * singleThreadedGc('auto', 3, 1.5) // true
 */
export const singleThreadedGc = (gc: WorkerGc, workers: number, cpus: number): boolean => gc === 'single' || (gc === 'auto' && workers >= cpus)
