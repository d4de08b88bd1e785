import { errors } from '../errors.js'
import type { JsonObject, JsonValue } from '../json.js'
import { Tensor } from '../data/tensor.js'

/** Named scorers of gridsearch (higher is better). Without one, the model's own `score` is used. */
export const SCORERS = ['accuracy', 'r2', 'neg_mean_squared_error'] as const
export type Scoring = (typeof SCORERS)[number]

function flat(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number)
}

/** Scores predictions against the truth. */
export function score(scoring: string, predicted: Tensor, truth: Tensor): number {
  const p = flat(predicted)
  const y = flat(truth)
  if (p.length !== y.length) throw errors.dataShape(`scoring: ${p.length} predictions for ${y.length} targets`)
  switch (scoring) {
    case 'accuracy':
      return y.length === 0 ? 0 : y.filter((v, i) => v === p[i]).length / y.length
    case 'neg_mean_squared_error':
      return -y.reduce((s, v, i) => s + (v - p[i]!) ** 2, 0) / y.length
    case 'r2': {
      const mean = y.reduce((s, v) => s + v, 0) / y.length
      const res = y.reduce((s, v, i) => s + (v - p[i]!) ** 2, 0)
      const tot = y.reduce((s, v) => s + (v - mean) ** 2, 0)
      return tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot
    }
    default:
      throw errors.invalidArgument(`unknown scoring "${scoring}"; use ${SCORERS.join(', ')} or omit it for the model's own score`)
  }
}

/** Every combination of a parameter grid, in a stable order. */
export function parameterGrid(grid: Readonly<Record<string, readonly JsonValue[]>>): JsonObject[] {
  const keys = Object.keys(grid)
  for (const k of keys) {
    if (!Array.isArray(grid[k]) || grid[k]!.length === 0) throw errors.invalidArgument(`gridsearch params.${k} must be a non-empty array of values`)
  }
  let combos: JsonObject[] = [{}]
  for (const k of keys) combos = combos.flatMap((c) => grid[k]!.map((v) => ({ ...c, [k]: v })))
  return combos
}

/** k folds over `rows` rows after a seeded shuffle: [train indices, test indices] per fold. */
export function kFolds(rows: number, k: number, seed = 0): { train: number[]; test: number[] }[] {
  if (!Number.isInteger(k) || k < 2) throw errors.invalidArgument(`cv must be an integer of at least 2, got ${String(k)}`)
  if (rows < k) throw errors.dataShape(`cannot split ${rows} rows into ${k} folds`)
  const order = Array.from({ length: rows }, (_, i) => i)
  let state = (seed >>> 0) + 0x6d2b79f5
  const random = (): number => {
    // mulberry32: a tiny seeded PRNG, so folds are reproducible run to run
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  return Array.from({ length: k }, (_, f) => {
    const test = order.filter((_, i) => i % k === f).sort((a, b) => a - b)
    const inTest = new Set(test)
    return { train: order.filter((i) => !inTest.has(i)).sort((a, b) => a - b), test }
  })
}

/** Rows `indices` of a tensor (first axis). */
export function takeRows(t: Tensor, indices: readonly number[]): Tensor {
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1)
  const Ctor = (t.data as unknown as { constructor: new (n: number) => ArrayLike<unknown> & { [i: number]: unknown } }).constructor
  const out = new Ctor(indices.length * width)
  indices.forEach((r, i) => {
    for (let j = 0; j < width; j++) out[i * width + j] = (t.data as ArrayLike<unknown>)[r * width + j]
  })
  return new Tensor(t.dtype, [indices.length, ...t.shape.slice(1)], out as never)
}
