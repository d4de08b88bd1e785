import type { Table } from 'apache-arrow'
import { errors } from '@omega/core'
import { chi2Contingency } from './stats/chi-square.js'
import { columnValues, type ColumnValues } from './stats/column-stats.js'
import { ks2sampSorted } from './stats/ks-test.js'
import { psiFromCounts, psiSorted } from './stats/psi.js'
import { wassersteinSorted } from './stats/wasserstein.js'

/** When a column counts as drifted: its test's p-value below `alpha` and its PSI at least `psi`. */
export interface DriftThresholds {
  /** @default 0.05 */
  readonly alpha?: number
  /** @default 0.1 (0.1–0.25: moderate shift; above 0.25: large) */
  readonly psi?: number
}

/** One column's comparison. */
export interface ColumnDrift {
  readonly test: 'ks' | 'chi2'
  readonly statistic: number
  readonly pvalue: number
  /** Numeric columns: the first Wasserstein distance. */
  readonly wasserstein?: number
  readonly psi: number
  readonly drift: boolean
  readonly baseline: { readonly count: number; readonly missing: number }
  readonly target: { readonly count: number; readonly missing: number }
}

/** What `compare` returns. */
export interface DriftReport {
  /** True if any column drifted. */
  readonly drift: boolean
  readonly columns: Record<string, ColumnDrift>
  readonly rows: { readonly baseline: number; readonly target: number }
  readonly thresholds: Required<DriftThresholds>
}

/**
 * Compares each column of `target` with the same column of `baseline`: KS (exact p-value up to
 * 10 000 values per side), Wasserstein and PSI for numeric columns, chi-square and PSI for
 * categorical ones. Missing values (null, NaN) are left out and counted.
 *
 * @throws {OmegaError} E_DATA_SHAPE for a column missing on one side, of different kinds on the two sides, or empty tables
 */
export function compareTables(baseline: Table, target: Table, columns?: readonly string[], thresholds: DriftThresholds = {}): DriftReport {
  const t: Required<DriftThresholds> = { alpha: thresholds.alpha ?? 0.05, psi: thresholds.psi ?? 0.1 }
  if (baseline.numRows === 0 || target.numRows === 0) {
    throw errors.dataShape(`cannot compare: the ${baseline.numRows === 0 ? 'baseline' : 'target'} has no rows`)
  }
  const names = columns ?? baseline.schema.fields.map((f) => f.name)
  const out: Record<string, ColumnDrift> = {}
  for (const name of names) {
    const b = columnValues(baseline, name)
    const g = columnValues(target, name)
    if (b.kind !== g.kind) throw errors.dataShape(`column "${name}" is ${b.kind} in the baseline but ${g.kind} in the target; compare columns of one type`, { column: name })
    out[name] = compareColumn(b, g, t)
  }
  return { drift: Object.values(out).some((c) => c.drift), columns: out, rows: { baseline: baseline.numRows, target: target.numRows }, thresholds: t }
}

function compareColumn(b: ColumnValues, g: ColumnValues, t: Required<DriftThresholds>): ColumnDrift {
  const sides = { baseline: { count: b.values.length, missing: b.missing }, target: { count: g.values.length, missing: g.missing } }
  if (b.values.length === 0 || g.values.length === 0) {
    return { test: b.kind === 'numeric' ? 'ks' : 'chi2', statistic: NaN, pvalue: NaN, psi: NaN, drift: false, ...sides }
  }
  if (b.kind === 'numeric' && g.kind === 'numeric') {
    // columnValues gave fresh arrays: sort them in place once for all three statistics.
    const sb = b.values.sort()
    const sg = g.values.sort()
    const ks = ks2sampSorted(sb, sg)
    const psi = psiSorted(sb, sg)
    return { test: 'ks', statistic: ks.statistic, pvalue: ks.pvalue, wasserstein: wassersteinSorted(sb, sg), psi, drift: ks.pvalue < t.alpha && psi >= t.psi, ...sides }
  }
  const categories = [...new Set([...(b.values as string[]), ...(g.values as string[])])]
  const count = (vs: string[]): number[] => {
    const m = new Map<string, number>()
    for (const v of vs) m.set(v, (m.get(v) ?? 0) + 1)
    return categories.map((c) => m.get(c) ?? 0)
  }
  const cb = count(b.values as string[])
  const cg = count(g.values as string[])
  const chi = chi2Contingency(cb, cg)
  const psi = psiFromCounts(cb, cg)
  return { test: 'chi2', statistic: chi.statistic, pvalue: chi.pvalue, psi, drift: chi.pvalue < t.alpha && psi >= t.psi, ...sides }
}
