import { errors } from '../errors.js'
import type { ColumnSelector } from '../names/name-grammar.js'

function missing(name: string, columns: readonly string[], dataset: string): never {
  throw errors.invalidArgument(`column "${name}" is not in dataset "${dataset}"; available columns: ${columns.join(', ')}`, {
    column: name,
    columns: [...columns],
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
  for (const item of selector.items) {
    if (item.type === 'column') {
      if (!columns.includes(item.name)) missing(item.name, columns, dataset)
      picked.push(item.name)
    } else {
      const from = item.from === undefined ? 0 : columns.indexOf(item.from)
      const to = item.to === undefined ? columns.length - 1 : columns.indexOf(item.to)
      if (from < 0) missing(item.from!, columns, dataset)
      if (to < 0) missing(item.to!, columns, dataset)
      if (from > to) {
        throw errors.invalidArgument(`column selector "${dataset}${selectorText(selector)}" is reversed: "${item.from}" comes after "${item.to}" (columns: ${columns.join(', ')})`, {
          from: item.from!,
          to: item.to!,
          columns: [...columns],
        })
      }
      picked.push(...columns.slice(from, to + 1))
    }
  }
  const drop = new Set(picked)
  const selected = selector.exclude ? columns.filter((c) => !drop.has(c)) : [...drop]
  if (selected.length === 0) {
    throw errors.invalidArgument(`column selector "${dataset}${selectorText(selector)}" leaves no column (columns: ${columns.join(', ')})`, { columns: [...columns] })
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
  for (const c of requested) if (!columns.includes(c)) missing(c, columns, dataset)
  return [...requested]
}
