/** `flyer_threads` when unset: the original's default. */
export const DEFAULT_THREADS = 5

export interface ForkSettings {
  dev: boolean
  workers: number | undefined
  threads: number
}

const plainWhole = (v: string | undefined): number | undefined => {
  const t = v?.trim()
  return t && /^\d+$/.test(t) ? Number(t) : undefined
}

/**
 * What the primary reads of the environment before it forks its first worker, without the env schema:
 * loading zod is ~45 ms of a Node process's start here (~40 ms on Bun), and the first worker validates
 * the same environment anyway and hands the primary the result (lib/primary.ts). Only plain whole
 * numbers are read; any other value is left to that validation, which then stops Flyer with the error.
 * @example
 * forkSettings({ flyer_workers: '4' }) // { dev: false, workers: 4, threads: 5 }
 */
export const forkSettings = (env: Record<string, string | undefined> = process.env): ForkSettings => ({
  dev: env.NODE_ENV === 'development',
  workers: plainWhole(env.flyer_workers),
  threads: plainWhole(env.flyer_threads) ?? DEFAULT_THREADS,
})
