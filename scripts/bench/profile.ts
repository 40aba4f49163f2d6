// What a V8 CPU profile (`node --cpu-prof`) says in a few lines: the functions with the most self time.
// The .cpuprofile files themselves open as flame graphs in Chrome DevTools (Performance › Load profile),
// VS Code or speedscope.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { markdownTable } from './report.ts'

interface CallFrame {
  functionName: string
  url: string
  /** 0-based. */
  lineNumber: number
}

/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[]
  samples: number[]
  /** Microseconds before each sample. */
  timeDeltas: number[]
}

export interface SelfTime {
  /** `functionName file:line`, or V8's own entries: `(garbage collector)`, `(program)`. */
  name: string
  /** Share of the sampled time the process was busy, 0–1. */
  share: number
}

/** Time the process waited for work: left out of every share. */
const IDLE = '(idle)'

const label = ({ functionName, url, lineNumber }: CallFrame) => {
  const name = functionName || '(anonymous)'
  if (!url) return name
  // Bundled chunks carry a content hash (app-B2SGN25M.mjs): dropped, so profiles of two builds compare.
  const file = url.split('/').pop()!.replace(/-[A-Z0-9]{8}(?=\.mjs$)/, '')
  return `${name} ${file}:${lineNumber + 1}`
}

/**
 * The `n` functions with the most self time, as shares of the busy (non-idle) time.
 * @example
 * topSelf(JSON.parse(readFileSync('CPU.….cpuprofile', 'utf8')), 10)
 */
export const topSelf = (profile: CpuProfile, n = 12): SelfTime[] => {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const byName = new Map<string, number>()
  let busy = 0
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id)
    const dt = profile.timeDeltas[i] ?? 0
    if (!frame || frame.functionName === IDLE) return
    const name = label(frame)
    byName.set(name, (byName.get(name) ?? 0) + dt)
    busy += dt
  })
  if (busy === 0) return []
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, t]) => ({ name, share: t / busy }))
}

/**
 * The main thread's profile among those `--cpu-prof-dir` collected (Node names them
 * `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`; the main thread is 0).
 */
export const mainThreadProfile = (dir: string): string | undefined => {
  const name = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f))
  return name && join(dir, name)
}

/** A Markdown table of `topSelf` for one profile file. */
export const profileTable = (file: string, n = 12): string =>
  markdownTable(
    ['self time', 'function'],
    topSelf(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, n).map((s) => [`${(s.share * 100).toFixed(1)}%`, s.name]),
  )
