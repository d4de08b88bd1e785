import { DataType, Float64, Int32, TimestampMillisecond, Utf8, makeData, makeVector, type Vector } from 'apache-arrow'

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

const decoder = new TextDecoder()

/** A column's values as strings (null where missing), read from the chunks' bytes (short ASCII values without a decoder). */
export function stringsOf(col: Vector): (string | null)[] {
  const out: (string | null)[] = new Array(col.length)
  let k = 0
  for (const data of col.data) {
    const offsets = data.valueOffsets as Int32Array
    const bytes = data.values as Uint8Array
    const nulls = data.nullCount > 0
    for (let i = 0; i < data.length; i++) {
      if (nulls && !data.getValid(i)) {
        out[k++] = null
        continue
      }
      const start = offsets[i]!
      const end = offsets[i + 1]!
      out[k++] = end - start <= 64 && isAscii(bytes, start, end) ? String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]) : decoder.decode(bytes.subarray(start, end))
    }
  }
  return out
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! > 0x7f) return false
  return true
}

/**
 * Rows `indices` of a Utf8 or fixed-width column as a new vector of the same type, copying bytes
 * chunk by chunk (no decoding). Indices may come in any order.
 */
export function gather(col: Vector, indices: readonly number[]): Vector {
  const chunks = col.data
  const starts = new Array<number>(chunks.length + 1).fill(0)
  for (let c = 0; c < chunks.length; c++) starts[c + 1] = starts[c]! + chunks[c]!.length
  const n = indices.length
  const where = new Int32Array(n)
  const local = new Int32Array(n)
  let c = 0
  for (let k = 0; k < n; k++) {
    const i = indices[k]!
    if (i < starts[c]! || i >= starts[c + 1]!) {
      let lo = 0
      let hi = chunks.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (starts[mid]! <= i) lo = mid
        else hi = mid - 1
      }
      c = lo
    }
    where[k] = c
    local[k] = i - starts[c]!
  }
  const valid = bitmap(n, (k) => chunks[where[k]!]!.nullCount === 0 || chunks[where[k]!]!.getValid(local[k]!))
  const type = col.type
  if (DataType.isUtf8(type)) {
    const valueOffsets = new Int32Array(n + 1)
    for (let k = 0; k < n; k++) {
      const o = chunks[where[k]!]!.valueOffsets as Int32Array
      valueOffsets[k + 1] = valueOffsets[k]! + o[local[k]! + 1]! - o[local[k]!]!
    }
    const data = new Uint8Array(valueOffsets[n]!)
    for (let k = 0; k < n; k++) {
      const chunk = chunks[where[k]!]!
      const o = chunk.valueOffsets as Int32Array
      data.set((chunk.values as Uint8Array).subarray(o[local[k]!]!, o[local[k]! + 1]!), valueOffsets[k]!)
    }
    return makeVector(makeData({ type: new Utf8(), length: n, valueOffsets, data, ...valid }))
  }
  const Ctor = (chunks[0]?.values ?? new Float64Array(0)).constructor as new (n: number) => { [i: number]: number | bigint }
  const data = new Ctor(n)
  for (let k = 0; k < n; k++) data[k] = (chunks[where[k]!]!.values as unknown as { [i: number]: number | bigint })[local[k]!]!
  return makeVector(makeData({ type: type as never, length: n, data: data as never, ...valid }))
}
