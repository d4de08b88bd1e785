import { errors } from '../errors.js'
import type { ColumnSelector } from '../names/name-grammar.js'

/** The column names for a message: all of them, or the first 100 and how many more (tables may have 100,000). */
function listed(columns: readonly string[]): string {
  return columns.length <= 100 ? columns.join(', ') : `${columns.slice(0, 100).join(', ')}, … (${columns.length} columns)`
}

function missing(name: string, columns: readonly string[], dataset: string): never {
  throw errors.invalidArgument(`column "${name}" is not in dataset "${dataset}"; available columns: ${listed(columns)}`, {
    column: name,
    ...(columns.length <= 100 ? { columns: [...columns] } : { columnCount: columns.length }),
  })
}

/**
 * Resolves a selector against a table's columns (schema order): listed columns keep the listed
 * order, ranges are inclusive by schema order, `^` keeps every column except the listed ones.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT naming a missing column and listing the available ones
 */
export function selectColumns(selector: ColumnSelector, columns: readonly string[], dataset: string): string[] {
  const picked: string[] = []
  const known = new Set(columns)
  for (const item of selector.items) {
    if (item.type === 'column') {
      if (!known.has(item.name)) missing(item.name, columns, dataset)
      picked.push(item.name)
    } else {
      const from = item.from === undefined ? 0 : columns.indexOf(item.from)
      const to = item.to === undefined ? columns.length - 1 : columns.indexOf(item.to)
      if (from < 0) missing(item.from!, columns, dataset)
      if (to < 0) missing(item.to!, columns, dataset)
      if (from > to) {
        throw errors.invalidArgument(`column selector "${dataset}${selectorText(selector)}" is reversed: "${item.from}" comes after "${item.to}" (columns: ${listed(columns)})`, {
          from: item.from!,
          to: item.to!,
          ...(columns.length <= 100 ? { columns: [...columns] } : { columnCount: columns.length }),
        })
      }
      for (let j = from; j <= to; j++) picked.push(columns[j]!)
    }
  }
  const drop = new Set(picked)
  const selected = selector.exclude ? columns.filter((c) => !drop.has(c)) : [...drop]
  if (selected.length === 0) {
    throw errors.invalidArgument(`column selector "${dataset}${selectorText(selector)}" leaves no column (columns: ${listed(columns)})`, columns.length <= 100 ? { columns: [...columns] } : { columnCount: columns.length })
  }
  return selected
}

/** A selector as written: `[a,b]`, `[^y]`, `[a:c]`. */
function selectorText(selector: ColumnSelector): string {
  const items = selector.items.map((i) => (i.type === 'column' ? i.name : `${i.from ?? ''}:${i.to ?? ''}`))
  return `[${selector.exclude ? '^' : ''}${items.join(',')}]`
}

/** Checks an explicit `columns` option against the table's columns. */
export function checkColumns(requested: readonly string[], columns: readonly string[], dataset: string): string[] {
  const known = new Set(columns)
  for (const c of requested) if (!known.has(c)) missing(c, columns, dataset)
  return [...requested]
}
