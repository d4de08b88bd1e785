// Models and data the tests share: the breast-cancer fixture standardised, and models built with a given tfjs.
import type * as TF from '@tensorflow/tfjs'
import { loadCsv } from '@omega/conformance'

export const PLUGIN = new URL('../dist/index.js', import.meta.url).href
export const POOL_PLUGIN = new URL('../../../runtimes/pool/dist/index.js', import.meta.url).href

/** The breast-cancer fixture with every feature standardised (mean 0, sd 1): 569 rows, 30 features, target 0/1. */
export function breastCancer(): { X: number[][]; y: number[]; records: Record<string, number>[]; columns: string[] } {
  const csv = loadCsv('breast_cancer')
  const columns = csv.columns.filter((c) => c !== 'target')
  const stats = columns.map((_, j) => {
    const col = csv.X.map((r) => r[j]!)
    const mean = col.reduce((a, b) => a + b, 0) / col.length
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length) || 1
    return { mean, sd }
  })
  const X = csv.X.map((r) => r.map((v, j) => (v - stats[j]!.mean) / stats[j]!.sd))
  const records = X.map((r, i) => ({ ...Object.fromEntries(columns.map((c, j) => [c, r[j]!])), target: csv.y[i]! }))
  return { X, y: csv.y, records, columns }
}

/** The 30→16→8→1 MLP of the benchmark, compiled unless `compiled` is false. */
export function mlp(tf: typeof TF, compiled = true): TF.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, inputShape: [30], activation: 'relu' }),
      tf.layers.dense({ units: 8, activation: 'relu' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  })
  if (compiled) model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] })
  return model
}

/** A functional model with two inputs (10 and 20 features) and two outputs. */
export function twoInputs(tf: typeof TF): TF.LayersModel {
  const a = tf.input({ shape: [10], name: 'a' })
  const b = tf.input({ shape: [20], name: 'b' })
  const joined = tf.layers.concatenate().apply([tf.layers.dense({ units: 4, activation: 'tanh' }).apply(a) as TF.SymbolicTensor, b]) as TF.SymbolicTensor
  const p = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'p' }).apply(joined) as TF.SymbolicTensor
  const r = tf.layers.dense({ units: 3, name: 'r' }).apply(joined) as TF.SymbolicTensor
  return tf.model({ inputs: [a, b], outputs: [p, r], name: 'two_inputs' })
}

/** All weights of a model as one flat array (to compare bit for bit). */
export function weightsOf(model: TF.LayersModel): number[] {
  return model.getWeights().flatMap((w) => Array.from(w.dataSync()))
}
