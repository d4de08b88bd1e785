import { isTensor, type Prediction, type Tensor } from '@omega/core'
import type { Table } from 'apache-arrow'

/** JSON has no 64-bit integers: bigints become numbers where exact, else decimal strings. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()
  if (Array.isArray(value)) return value.map(plain)
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>, plain)
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') return plain((value as { toJSON(): unknown }).toJSON())
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

/** A tensor as nested arrays. */
export const tensorJson = (t: Tensor): unknown => plain(t.toArray())

/** A prediction as an array, or a record of arrays for a model with several outputs. */
export function predictionJson(p: Prediction): unknown {
  if (isTensor(p)) return tensorJson(p)
  return Object.fromEntries(Object.entries(p).map(([k, t]) => [k, tensorJson(t)]))
}

/** A table as records. */
export function tableRecords(table: Table): unknown[] {
  const out: unknown[] = []
  for (const row of table) out.push(plain(row))
  return out
}

/** Any runtime or store result as JSON. */
export function resultJson(value: unknown): unknown {
  if (isTensor(value)) return tensorJson(value)
  return plain(value)
}
