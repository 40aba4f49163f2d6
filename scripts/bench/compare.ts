import { markdownTable, median } from './report.ts'

/** `before`: the checkout given to `--compare`; `after`: the one measured (`--project`, default this one). */
export type Side = 'before' | 'after'

export interface Compared {
  scenario: string
  unit: 'µs' | 'ms'
  before: number[]
  after: number[]
  /** after ÷ before, one per pair of runs. */
  ratios: number[]
  failed?: string
}

/**
 * Measures two checkouts `runs` times each, in pairs, alternating which goes first (before then after,
 * after then before, …), so a machine that drifts over the minutes moves both alike; keeps each pair's
 * after ÷ before. A failed measurement ends the row with what ran so far and the reason.
 * @example
 * await compareRuns('cold start (Node)', 'ms', 5, (side) => coldStart(side === 'before' ? oldTree : newTree))
 */
export const compareRuns = async (scenario: string, unit: Compared['unit'], runs: number, measure: (side: Side) => number | Promise<number>): Promise<Compared> => {
  const row: Compared = { scenario, unit, before: [], after: [], ratios: [] }
  try {
    for (let i = 0; i < runs; i++) {
      const got: Partial<Record<Side, number>> = {}
      for (const side of i % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) got[side] = await measure(side)
      row.before.push(got.before!)
      row.after.push(got.after!)
      row.ratios.push(got.after! / got.before!)
    }
  } catch (err) {
    row.failed = (err as Error).message.split('\n')[0]
  }
  return row
}

const figure = (xs: number[], unit: Compared['unit']) => {
  if (!xs.length) return '—'
  const f = (x: number) => (unit === 'µs' ? x.toFixed(2) : x.toFixed(0))
  return xs.length === 1 ? `${f(xs[0]!)} ${unit}` : `${f(median(xs))} ${unit} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`
}

/** One Markdown table: each side's median (range) and the median of the pairs' after ÷ before. */
export const compareTable = (rows: Compared[], sides: Record<Side, string>): string => {
  const head = ['scenario', `before: ${sides.before}`, `after: ${sides.after}`, 'after ÷ before (median of pairs; below 1 is less)']
  const body = rows.map((r) => [
    r.failed ? `${r.scenario} (failed: ${r.failed})` : r.scenario,
    figure(r.before, r.unit),
    figure(r.after, r.unit),
    r.ratios.length ? `${median(r.ratios).toFixed(2)}×` : '—',
  ])
  return markdownTable(head, body)
}
