import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'csv-parse/sync'

/**
 * The repository's real fixtures (`fixtures/`: CSV data sets and ONNX models with independently
 * computed expectations). Available when the suites run inside the omega monorepo.
 */
export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`../../../fixtures/${relative}`, import.meta.url))
}

/** A fixture CSV as column names plus numeric rows. */
export interface NumericCsv {
  readonly columns: string[]
  readonly rows: number[][]
  /** Every column but `target`. */
  readonly X: number[][]
  /** The `target` column. */
  readonly y: number[]
  /** Records, as `om.datasets.put` takes them. */
  readonly records: Record<string, number>[]
}

/** Reads `datasets/<name>.csv` (all columns numeric, `target` last). */
export function loadCsv(name: string): NumericCsv {
  const text = readFileSync(fixturePath(`datasets/${name}.csv`), 'utf8')
  const [header, ...body] = parse(text) as string[][]
  const columns = header!
  const rows = body.map((r) => r.map(Number))
  const t = columns.indexOf('target')
  return {
    columns,
    rows,
    X: rows.map((r) => r.filter((_, i) => i !== t)),
    y: rows.map((r) => r[t]!),
    records: rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]!]))),
  }
}
