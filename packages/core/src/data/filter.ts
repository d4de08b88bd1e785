import type { Vector } from 'apache-arrow'
import { errors } from '../errors.js'
import { isPlainObject } from '../json.js'

/** Comparison operators of a filter (SPEC §3). */
export const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'between', 'contains', 'startsWith', 'endsWith', 'isNull'] as const
export type FilterOperator = (typeof FILTER_OPERATORS)[number]

/** A filter value: numbers, strings, booleans, Dates, bigints or null. Never evaluated as code. */
export type FilterValue = string | number | boolean | bigint | Date | null

/** `{ col: value }` (equality) or `{ col: { gt: 1, lt: 10 } }`; all conditions must hold. */
export type Filter = Readonly<Record<string, FilterValue | Readonly<Partial<Record<FilterOperator, FilterValue | readonly FilterValue[]>>>>>

type Test = (v: unknown) => boolean

/** A compiled filter: the columns it reads and a per-row test over their vectors. */
export interface CompiledFilter {
  readonly columns: readonly string[]
  /** Row indices of the batch that pass. */
  select(vectors: ReadonlyMap<string, Vector>, length: number): number[]
}

function norm(v: unknown): unknown {
  if (v instanceof Date) return v.getTime()
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v)
  return v
}

function cmp(a: unknown, b: unknown): number | undefined {
  if (a === null || a === undefined || b === null || b === undefined) return undefined
  if (typeof a !== typeof b) return undefined
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
}

function operator(column: string, op: string, raw: unknown): Test {
  const value = Array.isArray(raw) ? raw.map(norm) : norm(raw)
  const needArray = (n?: number): unknown[] => {
    if (!Array.isArray(value) || (n !== undefined && value.length !== n)) {
      throw errors.invalidArgument(`filter ${column}.${op} needs ${n === undefined ? 'an array' : `an array of ${n} values`}`, { column, op })
    }
    return value
  }
  const needString = (): string => {
    if (typeof value !== 'string') throw errors.invalidArgument(`filter ${column}.${op} needs a string`, { column, op })
    return value
  }
  switch (op) {
    case 'eq':
      return (v) => (value === null ? v === null : cmp(v, value) === 0)
    case 'ne':
      return (v) => (value === null ? v !== null : v !== null && cmp(v, value) !== 0)
    case 'gt':
      return (v) => (cmp(v, value) ?? 0) > 0
    case 'gte':
      return (v) => { const c = cmp(v, value); return c !== undefined && c >= 0 }
    case 'lt':
      return (v) => (cmp(v, value) ?? 0) < 0
    case 'lte':
      return (v) => { const c = cmp(v, value); return c !== undefined && c <= 0 }
    case 'in': {
      const set = needArray()
      return (v) => v !== null && set.some((x) => cmp(v, x) === 0)
    }
    case 'nin': {
      const set = needArray()
      return (v) => v !== null && !set.some((x) => cmp(v, x) === 0)
    }
    case 'between': {
      const [lo, hi] = needArray(2)
      return (v) => { const a = cmp(v, lo); const b = cmp(v, hi); return a !== undefined && b !== undefined && a >= 0 && b <= 0 }
    }
    case 'contains': {
      const s = needString()
      return (v) => typeof v === 'string' && v.includes(s)
    }
    case 'startsWith': {
      const s = needString()
      return (v) => typeof v === 'string' && v.startsWith(s)
    }
    case 'endsWith': {
      const s = needString()
      return (v) => typeof v === 'string' && v.endsWith(s)
    }
    case 'isNull': {
      if (typeof value !== 'boolean') throw errors.invalidArgument(`filter ${column}.isNull needs true or false`, { column, op })
      return (v) => (v === null || v === undefined) === value
    }
    default:
      throw errors.invalidArgument(`unknown filter operator "${op}" on column "${column}"; use ${FILTER_OPERATORS.join(', ')}`, { column, op })
  }
}

/**
 * Compiles a filter into per-row tests. Values are compared as data (numbers with numbers,
 * strings with strings, Dates as epoch milliseconds); nulls pass only `isNull: true`, `eq: null`
 * and `ne` against a value. Nothing in a filter is ever evaluated as code.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT for a missing column (listing the available ones) or a bad operator
 */
export function compileFilter(filter: Filter, available: readonly string[], dataset: string): CompiledFilter {
  if (!isPlainObject(filter)) throw errors.invalidArgument('filter must be an object of column conditions')
  const tests: [string, Test][] = []
  for (const [column, condition] of Object.entries(filter)) {
    if (!available.includes(column)) {
      throw errors.invalidArgument(`filter column "${column}" is not in dataset "${dataset}"; available columns: ${available.join(', ')}`, {
        column,
        columns: [...available],
      })
    }
    if (isPlainObject(condition)) {
      for (const [op, value] of Object.entries(condition)) tests.push([column, operator(column, op, value)])
    } else {
      tests.push([column, operator(column, 'eq', condition)])
    }
  }
  return {
    columns: [...new Set(tests.map(([c]) => c))],
    select(vectors, length) {
      const out: number[] = []
      for (let i = 0; i < length; i++) {
        let pass = true
        for (const [column, test] of tests) {
          if (!test(norm(vectors.get(column)!.get(i)))) {
            pass = false
            break
          }
        }
        if (pass) out.push(i)
      }
      return out
    },
  }
}
