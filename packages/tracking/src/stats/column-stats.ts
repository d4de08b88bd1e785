import { DataType, Precision, makeVector, type Float, type Table } from 'apache-arrow'
import { errors } from '@omega/core'
import { quantileSorted } from './psi.js'

/** A column's values without missing ones (null, NaN), and how many were missing. */
export type ColumnValues =
  | { readonly kind: 'numeric'; readonly values: Float64Array; readonly missing: number }
  | { readonly kind: 'categorical'; readonly values: string[]; readonly missing: number }

/** Statistics of a numeric column. */
export interface NumericStats {
  readonly type: 'numeric'
  readonly count: number
  /** null and NaN values (kept in the data, left out of every other figure). */
  readonly missing: number
  readonly mean: number
  /** Sample standard deviation (n − 1). */
  readonly std: number
  readonly min: number
  readonly max: number
  /** q05, q25, q50, q75, q95 (linear interpolation). */
  readonly quantiles: Readonly<Record<string, number>>
  /** Ten equal-width bins between min and max. */
  readonly histogram: { readonly edges: number[]; readonly counts: number[] }
}

/** Statistics of a categorical column. */
export interface CategoricalStats {
  readonly type: 'categorical'
  readonly count: number
  readonly missing: number
  readonly counts: Readonly<Record<string, number>>
}

export type ColumnStats = NumericStats | CategoricalStats

const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95]

/** True for column types compared with KS/Wasserstein (ints, floats); others (strings, booleans, dictionaries) are categorical. */
export function isNumericType(type: DataType): boolean {
  return DataType.isInt(type) || DataType.isFloat(type)
}

/** The values of one column. @throws {OmegaError} E_DATA_SHAPE if the table has no such column */
export function columnValues(table: Table, name: string): ColumnValues {
  const col = table.getChild(name)
  if (!col) throw errors.dataShape(`no column "${name}" (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`)
  let missing = 0
  if (isNumericType(col.type)) {
    const out = new Float64Array(col.length)
    let n = 0
    // Chunk by chunk from the value buffers: per-row get(i) costs a chunk search per value.
    for (const data of col.data) {
      const values = data.values as ArrayLike<number | bigint>
      const nulls = data.nullCount > 0
      // Half floats are stored as raw 16-bit words: decode them through the vector.
      const half = DataType.isFloat(data.type) && (data.type as Float).precision === Precision.HALF
      const chunk = half ? makeVector(data) : undefined
      for (let i = 0; i < data.length; i++) {
        const x = nulls && !data.getValid(i) ? NaN : chunk ? Number(chunk.get(i) ?? NaN) : Number(values[i]!)
        if (Number.isNaN(x)) missing++
        else out[n++] = x
      }
    }
    return { kind: 'numeric', values: out.subarray(0, n), missing }
  }
  const values: string[] = []
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i) as unknown
    if (v === null || v === undefined) missing++
    else values.push(String(v))
  }
  return { kind: 'categorical', values, missing }
}

/** Statistics of a column's values (an empty column gives count 0 and NaN figures). */
export function columnStats(c: ColumnValues): ColumnStats {
  if (c.kind === 'categorical') {
    const counts: Record<string, number> = {}
    for (const v of c.values) counts[v] = (counts[v] ?? 0) + 1
    return { type: 'categorical', count: c.values.length, missing: c.missing, counts }
  }
  const s = Float64Array.from(c.values).sort()
  const n = s.length
  const mean = n ? s.reduce((a, b) => a + b, 0) / n : NaN
  const std = n > 1 ? Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN
  const min = n ? s[0]! : NaN
  const max = n ? s[n - 1]! : NaN
  const edges = n ? Array.from({ length: 11 }, (_, k) => min + ((max - min) * k) / 10) : []
  const counts = new Array<number>(n ? 10 : 0).fill(0)
  for (const v of s) counts[max === min ? 0 : Math.min(9, Math.floor(((v - min) / (max - min)) * 10))]!++
  const quantiles = Object.fromEntries(QUANTILES.map((q) => [`q${String(q * 100).padStart(2, '0')}`, quantileSorted(s, q)]))
  return { type: 'numeric', count: n, missing: c.missing, mean, std, min, max, quantiles, histogram: { edges, counts } }
}
