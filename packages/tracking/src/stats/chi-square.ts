/**
 * Chi-square test of homogeneity on a 2×k table of counts, as scipy's `chi2_contingency`
 * (Yates' continuity correction when there is one degree of freedom), with the p-value from the
 * regularized upper incomplete gamma function.
 */
export interface Chi2Result {
  readonly statistic: number
  readonly pvalue: number
  readonly dof: number
}

/**
 * @param a - counts of each category in the first sample
 * @param b - counts of the same categories in the second sample (categories absent from both are ignored)
 */
export function chi2Contingency(a: readonly number[], b: readonly number[], correction = true): Chi2Result {
  const cols: [number, number][] = []
  for (let k = 0; k < a.length; k++) if (a[k]! + b[k]! > 0) cols.push([a[k]!, b[k]!])
  const ta = cols.reduce((s, c) => s + c[0], 0)
  const tb = cols.reduce((s, c) => s + c[1], 0)
  const dof = ta === 0 || tb === 0 ? 0 : cols.length - 1
  if (dof === 0) return { statistic: 0, pvalue: 1, dof: 0 }
  const total = ta + tb
  let stat = 0
  for (const [ca, cb] of cols) {
    for (const [observed, rowTotal] of [[ca, ta], [cb, tb]] as const) {
      const expected = (rowTotal * (ca + cb)) / total
      let o = observed
      if (dof === 1 && correction) {
        const diff = expected - o
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff))
      }
      stat += (o - expected) ** 2 / expected
    }
  }
  return { statistic: stat, pvalue: chi2Sf(stat, dof), dof }
}

/** Survival function of the chi-square distribution (scipy `chi2.sf`). */
export function chi2Sf(x: number, dof: number): number {
  if (x <= 0) return 1
  return gammaQ(dof / 2, x / 2)
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]

/** ln Γ(z) for z > 0 (Lanczos, g = 7). */
export function lnGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z)
  z -= 1
  let x = LANCZOS[0]!
  for (let i = 1; i < 9; i++) x += LANCZOS[i]! / (z + i)
  const t = z + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x)
}

/** Regularized upper incomplete gamma Q(a, x): a series below a + 1, Lentz's continued fraction above. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  const lnPre = -x + a * Math.log(x) - lnGamma(a)
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break
    }
    return Math.max(0, 1 - sum * Math.exp(lnPre))
  }
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let f = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    f *= delta
    if (Math.abs(delta - 1) < 1e-17) break
  }
  return Math.exp(lnPre) * f
}
