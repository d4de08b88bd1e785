import { Float64, Int32, TimestampMillisecond, Utf8, makeData, makeVector, type Vector } from 'apache-arrow'

/**
 * Column builders and readers for event tables. apache-arrow's generic `vectorFromArray` and
 * per-row `get(i)` cost microseconds per value; events are written and read by the million.
 */

function bitmap(length: number, isValid: (i: number) => boolean): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array(((length + 63) >> 6) << 3)
  let nullCount = 0
  for (let i = 0; i < length; i++) {
    if (isValid(i)) nullBitmap[i >> 3]! |= 1 << (i & 7)
    else nullCount++
  }
  return { nullBitmap, nullCount }
}

/** A nullable Int32 vector. */
export function int32Vector(values: ArrayLike<number | null>): Vector {
  const data = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) data[i] = values[i] ?? 0
  return makeVector(makeData({ type: new Int32(), length: values.length, data, ...bitmap(values.length, (i) => values[i] !== null) }))
}

/** A nullable Float64 vector (NaN stays a value; null is missing). */
export function float64Vector(values: ArrayLike<number | null>): Vector {
  const data = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) data[i] = values[i] ?? 0
  return makeVector(makeData({ type: new Float64(), length: values.length, data, ...bitmap(values.length, (i) => values[i] !== null) }))
}

/** A timestamp[ms] vector of epoch milliseconds. */
export function timestampVector(values: ArrayLike<number>): Vector {
  const data = new BigInt64Array(values.length)
  for (let i = 0; i < values.length; i++) data[i] = BigInt(Math.trunc(values[i]!))
  return makeVector(makeData({ type: new TimestampMillisecond(), length: values.length, data: data as never }))
}

const encoder = new TextEncoder()

/** A nullable Utf8 vector. */
export function utf8Vector(values: ArrayLike<string | null>): Vector {
  const n = values.length
  const valueOffsets = new Int32Array(n + 1)
  let bytes = new Uint8Array(Math.max(64, n * 8))
  let end = 0
  for (let i = 0; i < n; i++) {
    const s = values[i]
    if (s) {
      if (bytes.length - end < s.length * 3) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, end + s.length * 3))
        grown.set(bytes.subarray(0, end))
        bytes = grown
      }
      end += encoder.encodeInto(s, bytes.subarray(end)).written
    }
    valueOffsets[i + 1] = end
  }
  return makeVector(makeData({ type: new Utf8(), length: n, valueOffsets, data: bytes.subarray(0, end), ...bitmap(n, (i) => values[i] !== null) }))
}

/** A column's values as numbers (null where missing), read chunk by chunk. */
export function numbersOf(col: Vector): (number | null)[] {
  const out: (number | null)[] = new Array(col.length)
  let k = 0
  for (const data of col.data) {
    const values = data.values as ArrayLike<number | bigint>
    const nulls = data.nullCount > 0
    for (let i = 0; i < data.length; i++) out[k++] = nulls && !data.getValid(i) ? null : Number(values[i]!)
  }
  return out
}

/** A column's values as strings (null where missing), read chunk by chunk. */
export function stringsOf(col: Vector): (string | null)[] {
  const out: (string | null)[] = new Array(col.length)
  let k = 0
  for (const v of col) out[k++] = (v as string | null) ?? null
  return out
}
