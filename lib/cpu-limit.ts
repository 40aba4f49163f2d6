import { readFileSync } from 'node:fs'

export type ReadText = (path: string) => string | undefined

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * The container's CPU limit in CPUs (fractional), from cgroup v2 `cpu.max` or the v1 CFS quota;
 * `undefined` when there is none (bare metal, or a container without a CPU limit).
 * @example
 * cgroupCpuLimit((p) => ({ '/sys/fs/cgroup/cpu.max': '150000 100000' })[p]) // 1.5
 */
export const cgroupCpuLimit = (read: ReadText = readText): number | undefined => {
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim()
  if (v2) {
    const [quota, period] = v2.split(/\s+/)
    const q = Number(quota)
    const p = Number(period ?? 100000)
    return quota !== 'max' && q > 0 && p > 0 ? q / p : undefined
  }
  for (const dir of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
    const quota = Number(read(`${dir}/cpu.cfs_quota_us`)?.trim())
    const period = Number(read(`${dir}/cpu.cfs_period_us`)?.trim())
    if (quota > 0 && period > 0) return quota / period
  }
  return undefined
}

/**
 * How many workers to fork, as the original decided: an explicit `flyer_workers` wins; else
 * 2 × the container's CPU limit (rounded up to whole CPUs) + 1; else 1.
 * @example
 * workerCount(undefined, () => 2) // 5
 */
export const workerCount = (explicit: number | undefined, cpuLimit: () => number | undefined = cgroupCpuLimit): number => {
  if (explicit !== undefined) return explicit
  const cpus = cpuLimit()
  return cpus === undefined ? 1 : 2 * Math.max(1, Math.ceil(cpus)) + 1
}
