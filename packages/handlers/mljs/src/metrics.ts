import type { Target } from '@omega/core'

/** Fraction of rows whose prediction equals the target. */
export function accuracy(predicted: ArrayLike<number>, y: Target): number {
  const truth = y.map((v) => (Array.isArray(v) ? v[0]! : v))
  let hits = 0
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hits++
  return truth.length === 0 ? 0 : hits / truth.length
}

/** Coefficient of determination R² over all outputs (1 is perfect, 0 is the mean's). */
export function r2(predicted: ArrayLike<number> | number[][], y: Target): number {
  const flatP = Array.from(predicted as ArrayLike<number | number[]>).flat() as number[]
  const flatY = (y as (number | number[])[]).flat() as number[]
  const mean = flatY.reduce((s, v) => s + v, 0) / flatY.length
  let ssRes = 0
  let ssTot = 0
  flatY.forEach((v, i) => {
    ssRes += (v - flatP[i]!) ** 2
    ssTot += (v - mean) ** 2
  })
  return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot
}
