/**
 * Population stability index: Σ (t − b)·ln(t / b) over bins, where b and t are the shares of the
 * baseline and target in each bin. Numeric bins are cut at the baseline's deciles; categorical
 * bins are the categories. Empty bins count as {@link PSI_EPSILON} so the index stays finite.
 */

/** Share used for a bin that one side leaves empty. */
export const PSI_EPSILON = 1e-4

/** PSI from counts per bin (same bins, same order). */
export function psiFromCounts(baseline: readonly number[], target: readonly number[]): number {
  const nb = baseline.reduce((s, c) => s + c, 0)
  const nt = target.reduce((s, c) => s + c, 0)
  if (nb === 0 || nt === 0) return 0
  let psi = 0
  for (let k = 0; k < baseline.length; k++) {
    const b = Math.max(baseline[k]! / nb, PSI_EPSILON)
    const t = Math.max(target[k]! / nt, PSI_EPSILON)
    psi += (t - b) * Math.log(t / b)
  }
  return psi
}

/** Quantile of a sorted sample, linear interpolation (numpy's default, type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return NaN
  const pos = (n - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.min(lo + 1, n - 1)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

/** The baseline's decile cut points (distinct), the bin edges of numeric PSI. */
export function psiEdges(sortedBaseline: ArrayLike<number>, bins = 10): number[] {
  const edges: number[] = []
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(sortedBaseline, k / bins)
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e)
  }
  return edges
}

/** Counts per bin of `values` for bins (−∞, e1], (e1, e2], …, (ek, ∞). */
export function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    let lo = 0
    let hi = edges.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (v <= edges[mid]!) hi = mid
      else lo = mid + 1
    }
    counts[lo]!++
  }
  return counts
}

/** Numeric PSI of two samples: baseline deciles as bins. */
export function psiNumeric(baseline: ArrayLike<number>, target: ArrayLike<number>, bins = 10): number {
  return psiSorted(Float64Array.from(baseline).sort(), target, bins)
}

/** {@link psiNumeric} with the baseline already sorted ascending. */
export function psiSorted(sorted: Float64Array, target: ArrayLike<number>, bins = 10): number {
  const edges = psiEdges(sorted, bins)
  return psiFromCounts(binCounts(sorted, edges), binCounts(target, edges))
}
