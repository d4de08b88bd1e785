// Shared test setup: real stores, real runtimes, an ml.js model fitted on a stored dataset.
import { Omega, type OpenOptions } from '@omega/core'
import { DecisionTreeRegression } from '@omega/mljs'
import { tableFromArrays } from 'apache-arrow'

export const MLJS = new URL('../../handlers/mljs/dist/index.js', import.meta.url).href
export const POOL = new URL('../../runtimes/pool/dist/index.js', import.meta.url).href
export const FS = new URL('../../backends/fs/dist/index.js', import.meta.url).href

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A table of three features (x1 shifted by `shift`) and y. */
export function features(rows: number, seed: number, shift = 0): { x1: Float64Array; x2: Float64Array; x3: Float64Array; y: Float64Array } {
  const r = rng(seed)
  const x1 = Float64Array.from({ length: rows }, () => r() + shift)
  const x2 = Float64Array.from({ length: rows }, () => r())
  const x3 = Float64Array.from({ length: rows }, () => r())
  const y = Float64Array.from({ length: rows }, (_, i) => 2 * x1[i]! - x2[i]!)
  return { x1, x2, x3, y }
}

/** Opens an instance with the ml.js estimators and a fitted model `m` on dataset `train`. */
export async function openWithModel(options: OpenOptions): Promise<Omega> {
  const om = await Omega.open({ ...options, plugins: [MLJS, ...(options.plugins ?? [])] })
  await om.datasets.put(tableFromArrays(features(200, 1)), 'train')
  await om.models.put(new DecisionTreeRegression({ maxDepth: 4 }), 'm')
  await om.runtime.model('m').fit('train[^y]', 'train[y]')
  return om
}
