import type { Table } from 'apache-arrow'
import { isArrowTable, isTensor, type Tensor } from '@omega/core'

// What runtime calls and script runs return, made printable: JSON-able values, and text for people.

/** Tensors as nested arrays, a record of tensors as a record of arrays, an Arrow table as records; metadata and numbers as they are. */
export function plain(value: unknown): unknown {
  if (isTensor(value)) return (value as Tensor).toArray()
  if (isArrowTable(value)) return (value as Table).toArray().map((row: { toJSON(): unknown }) => row.toJSON())
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).length > 0 && Object.values(value).every(isTensor)) {
    return Object.fromEntries(Object.entries(value).map(([k, t]) => [k, (t as Tensor).toArray()]))
  }
  return value
}

/** Predictions as text: one row per line, several outputs side by side under a header. */
export function humanResult(value: unknown): string | undefined {
  const cell = (v: unknown): string => (Array.isArray(v) ? v.join(',') : String(v))
  if (Array.isArray(value) && value.every((row) => Array.isArray(row) || typeof row !== 'object' || row === null)) return value.map((row) => (Array.isArray(row) ? row.join('\t') : String(row))).join('\n')
  if (typeof value === 'number') return String(value)
  const meta = value as { name?: unknown; version?: unknown; kind?: unknown; prefix?: unknown } | null
  if (meta && typeof meta.name === 'string' && typeof meta.kind === 'string') {
    return `stored ${meta.prefix === 'data/' ? 'dataset' : 'model'} ${meta.name}@${String(meta.version)} (${meta.kind})`
  }
  if (value && typeof value === 'object' && Object.values(value).every(Array.isArray)) {
    const columns = Object.entries(value as Record<string, unknown[]>)
    const rows = Math.max(...columns.map(([, v]) => v.length))
    const lines = [columns.map(([k]) => k).join('\t')]
    for (let i = 0; i < rows; i++) lines.push(columns.map(([, v]) => cell(v[i])).join('\t'))
    return lines.join('\n')
  }
  return undefined
}
