import type { Table } from 'apache-arrow'
import { quantileSorted } from './stats/psi.js'

/** min / mean / max / last of one metric in one run. */
export interface MetricSummary {
  readonly count: number
  readonly min: number
  readonly mean: number
  readonly max: number
  readonly last: number
}

/** Latency of tracked calls of one model and operation, in milliseconds. */
export interface LatencySummary {
  readonly count: number
  readonly failures: number
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** What `exp.summary()` returns. */
export interface ExperimentSummary {
  readonly runs: number[]
  /** Events per name. */
  readonly counts: Record<string, number>
  /** run → metric → summary. */
  readonly metrics: Record<number, Record<string, MetricSummary>>
  /** `model op` (e.g. `mymodel predict`) → latency. */
  readonly latency: Record<string, LatencySummary>
}

/** Summarizes a table of events (as `data()` returns, sorted by dt). */
export function summarize(table: Table): ExperimentSummary {
  const col = (n: string) => table.getChild(n)!
  const [run, event, key, value, json] = ['run', 'event', 'key', 'value', 'json'].map(col) as [ReturnType<typeof col>, ReturnType<typeof col>, ReturnType<typeof col>, ReturnType<typeof col>, ReturnType<typeof col>]
  const counts: Record<string, number> = {}
  const runs = new Set<number>()
  const metricValues = new Map<number, Map<string, number[]>>()
  const durations = new Map<string, { ok: number[]; failures: number }>()
  for (let i = 0; i < table.numRows; i++) {
    const e = event.get(i) as string
    counts[e] = (counts[e] ?? 0) + 1
    const r = run.get(i) as number | null
    if (r !== null) runs.add(r)
    if (e === 'metric' && r !== null) {
      const perRun = metricValues.get(r) ?? metricValues.set(r, new Map()).get(r)!
      const k = key.get(i) as string
      ;(perRun.get(k) ?? perRun.set(k, []).get(k)!).push(value.get(i) as number)
    } else if (e === 'task_success' || e === 'task_failure') {
      const model = (JSON.parse((json.get(i) as string | null) ?? '{}') as { model?: string }).model ?? '?'
      const name = `${model.replace(/@\d+$/, '')} ${key.get(i) as string}`
      const d = durations.get(name) ?? durations.set(name, { ok: [], failures: 0 }).get(name)!
      if (e === 'task_success') d.ok.push(value.get(i) as number)
      else d.failures++
    }
  }
  const metrics: ExperimentSummary['metrics'] = {}
  for (const [r, perRun] of metricValues) {
    metrics[r] = {}
    for (const [k, vs] of perRun) {
      metrics[r]![k] = { count: vs.length, min: Math.min(...vs), mean: vs.reduce((a, b) => a + b, 0) / vs.length, max: Math.max(...vs), last: vs[vs.length - 1]! }
    }
  }
  const latency: ExperimentSummary['latency'] = {}
  for (const [name, { ok, failures }] of durations) {
    const s = Float64Array.from(ok).sort()
    latency[name] = {
      count: s.length,
      failures,
      mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
      p50: quantileSorted(s, 0.5),
      p90: quantileSorted(s, 0.9),
      p99: quantileSorted(s, 0.99),
      max: s.length ? s[s.length - 1]! : NaN,
    }
  }
  return { runs: [...runs].sort((a, b) => a - b), counts, metrics, latency }
}
