import { describe, expect, it } from 'vitest'
import { cgroupCpuLimit, workerCount } from '#lib/cpu-limit.ts'
import { backoffMs } from '#lib/primary.ts'

const files = (map: Record<string, string>) => (path: string) => map[path]

describe('flyer_workers default (as the original: 2 × CPU limit + 1, else 1)', () => {
  it('reads a cgroup v2 cpu.max quota', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }))).toBe(2)
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }))).toBe(0.5)
  })

  it('treats cpu.max "max" as no limit, without falling back to v1 files', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'max 100000', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBeUndefined()
  })

  it('reads a cgroup v1 CFS quota, where -1 means none', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '150000', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBe(1.5)
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '400000', '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000' }))).toBe(4)
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' }))).toBeUndefined()
    expect(cgroupCpuLimit(files({}))).toBeUndefined()
  })

  it('an explicit flyer_workers wins; else 2 × CPUs (rounded up) + 1; else 1', () => {
    expect(workerCount(3, () => 8)).toBe(3)
    expect(workerCount(undefined, () => 2)).toBe(5)
    expect(workerCount(undefined, () => 1.5)).toBe(5)
    expect(workerCount(undefined, () => 0.25)).toBe(3)
    expect(workerCount(undefined, () => undefined)).toBe(1)
  })
})

describe('restart backoff', () => {
  it('restarts a first crash at once, then backs off to 30 s so a crash loop cannot spin', () => {
    expect([1, 2, 3, 4, 5].map(backoffMs)).toEqual([0, 500, 1000, 2000, 4000])
    expect(backoffMs(30)).toBe(30_000)
  })
})
