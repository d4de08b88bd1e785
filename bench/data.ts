import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'

/** The iris fixture as features and labels. */
export function loadIris(): { X: number[][]; y: number[] } {
  const rows = parse(readFileSync(new URL('../fixtures/datasets/iris.csv', import.meta.url)), { from_line: 2, cast: true }) as number[][]
  return { X: rows.map((r) => r.slice(0, 4)), y: rows.map((r) => r[4]!) }
}
