/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as scipy's `ks_2samp(a, b)` (method 'auto'):
 * the exact p-value when both samples have at most {@link KS_EXACT_MAX} values (Hodges'
 * lattice-path recursions, as in scipy), otherwise the limiting Kolmogorov distribution.
 */

/** Largest sample size for which the exact p-value is computed (scipy's MAX_AUTO_N). */
export const KS_EXACT_MAX = 10_000

/** Result of a KS test: the largest distance between the two empirical CDFs, and its p-value. */
export interface KsResult {
  readonly statistic: number
  readonly pvalue: number
  /** `exact` (lattice paths) or `asymp` (Kolmogorov limit distribution). */
  readonly method: 'exact' | 'asymp'
}

/**
 * KS two-sample test on two samples (NaN removed by the caller). Sorts copies of both.
 *
 * @throws {RangeError} if a sample is empty
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  return ks2sampSorted(Float64Array.from(a).sort(), Float64Array.from(b).sort())
}

/** {@link ks2samp} on samples already sorted ascending (no copy). */
export function ks2sampSorted(x: Float64Array, y: Float64Array): KsResult {
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) throw new RangeError('ks2samp needs two non-empty samples')
  const d = ksStatistic(x, y)
  if (Math.max(n1, n2) <= KS_EXACT_MAX) {
    const exact = exactPvalue(n1, n2, d)
    if (exact !== undefined) return { statistic: exact.d, pvalue: exact.p, method: 'exact' }
  }
  const en = (n1 * n2) / (n1 + n2)
  return { statistic: d, pvalue: kolmogorovSf(Math.sqrt(en) * d), method: 'asymp' }
}

/** sup |F1 - F2| over two sorted samples (ties handled as scipy's searchsorted 'right'). */
export function ksStatistic(x: Float64Array, y: Float64Array): number {
  const n1 = x.length
  const n2 = y.length
  let i = 0
  let j = 0
  let d = 0
  while (i < n1 && j < n2) {
    const v = Math.min(x[i]!, y[j]!)
    while (i < n1 && x[i]! <= v) i++
    while (j < n2 && y[j]! <= v) j++
    const diff = Math.abs(i / n1 - j / n2)
    if (diff > d) d = diff
  }
  return d
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}

function exactPvalue(n1: number, n2: number, d: number): { d: number; p: number } | undefined {
  const g = gcd(n1, n2)
  const lcm = (n1 / g) * n2
  const h = Math.round(d * lcm)
  const dd = h / lcm
  if (h === 0) return { d: dd, p: 1 }
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideInside(n1, n2, g, h)
  if (!Number.isFinite(p) || p < 0 || p > 1) return undefined
  return { d: dd, p: Math.min(1, Math.max(0, p)) }
}

/** Pr(D_{n,n} >= h/n), by a Horner-like scheme that avoids cancellation (scipy `_compute_prob_outside_square`). */
function probOutsideSquare(n: number, h: number): number {
  let P = 0
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1)
    P = p1 * (1 - P)
  }
  return 2 * P
}

/**
 * Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm,
 * computed column by column on path proportions (scipy `_compute_outer_prob_inside_method`).
 */
function probOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 < n0 ? [n0, m0] : [m0, n0]
  const mg = m / g
  const ng = n / g
  let minj = 0
  let maxj = Math.min(Math.ceil(h / mg), n + 1)
  let curlen = maxj - minj
  const lenA = Math.min(2 * maxj + 2, n + 1)
  const A = new Float64Array(lenA).fill(1)
  A.fill(0, minj, maxj)
  for (let i = 1; i <= m; i++) {
    const lastminj = minj
    const lastlen = curlen
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n)
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1)
    if (maxj <= minj) return 1
    let val = minj === 0 ? 0 : 1
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j)
      A[jj] = val
    }
    curlen = maxj - minj
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen))
  }
  return A[maxj - minj - 1]!
}

/** Survival function of the Kolmogorov distribution (scipy `kstwobign.sf`). */
export function kolmogorovSf(x: number): number {
  if (x <= 0) return 1
  if (x < 1) {
    // The alternating series converges slowly for small x: use the theta-function form of the CDF.
    const t = Math.PI ** 2 / (8 * x * x)
    let cdf = 0
    for (let k = 1; k < 100; k += 2) {
      const term = Math.exp(-k * k * t)
      cdf += term
      if (term < 1e-300) break
    }
    return 1 - (Math.sqrt(2 * Math.PI) / x) * cdf
  }
  let sum = 0
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x)
    sum += k % 2 === 1 ? term : -term
    if (term < 1e-300) break
  }
  return Math.min(1, Math.max(0, 2 * sum))
}
