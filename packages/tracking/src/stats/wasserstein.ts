/**
 * First Wasserstein (earth mover's) distance between two 1-D samples: the area between their
 * empirical CDFs, as scipy's `wasserstein_distance(u, v)` (unweighted).
 *
 * @throws {RangeError} if a sample is empty
 */
export function wasserstein(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(Float64Array.from(u).sort(), Float64Array.from(v).sort())
}

/** {@link wasserstein} on samples already sorted ascending (no copy). */
export function wassersteinSorted(x: Float64Array, y: Float64Array): number {
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) throw new RangeError('wasserstein needs two non-empty samples')
  let i = 0
  let j = 0
  let total = 0
  let prev = Math.min(x[0]!, y[0]!)
  while (i < n1 || j < n2) {
    const next = j >= n2 || (i < n1 && x[i]! <= y[j]!) ? x[i]! : y[j]!
    // Between prev and next both CDFs are constant: i/n1 and j/n2 count values <= prev.
    total += Math.abs(i / n1 - j / n2) * (next - prev)
    while (i < n1 && x[i]! <= next) i++
    while (j < n2 && y[j]! <= next) j++
    prev = next
  }
  return total
}
