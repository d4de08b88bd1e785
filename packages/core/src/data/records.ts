import {
  Bool,
  DataType,
  Dictionary,
  Float64,
  Int32,
  Int64,
  Null,
  Schema,
  Field,
  Table,
  TimestampMillisecond,
  Utf8,
  Type,
  makeVector,
  vectorFromArray,
  type Vector,
} from 'apache-arrow'
import { errors } from '../errors.js'
import { isPlainObject } from '../json.js'

/** A plain record: column name → value. */
export type Row = Record<string, unknown>

/** True for a non-empty array whose items are all plain objects: what `put` turns into a table. */
export function isRecords(value: unknown): value is Row[] {
  return Array.isArray(value) && value.length > 0 && value.every((r) => isPlainObject(r))
}

/** Strings are dictionary-encoded when at most this share of the values are distinct… */
const DICTIONARY_RATIO = 0.5
/** …and there are at least this many values (small columns gain nothing). */
const DICTIONARY_MIN_ROWS = 16

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1

/**
 * Infers the Arrow type a user would expect for one column of records: numbers → Int32 if all are
 * integers in range, else Float64; strings → Utf8, dictionary-encoded when values repeat a lot;
 * booleans → Bool; Dates → timestamp (ms); bigints → Int64; only nulls → Null. Mixed types are
 * an error naming the column.
 */
export function inferType(name: string, values: readonly unknown[]): DataType {
  let kind: string | undefined
  let allInt = true
  const distinct = new Set<string>()
  let count = 0
  for (const v of values) {
    if (v === null || v === undefined) continue
    const k = v instanceof Date ? 'date' : typeof v
    if (kind === undefined) kind = k
    else if (k !== kind) {
      throw errors.invalidArgument(`column "${name}" mixes ${kind} and ${k} values; a column must hold one type (nulls allowed)`, {
        column: name,
        types: [kind, k],
      })
    }
    count++
    if (k === 'number') {
      if (!Number.isInteger(v) || (v as number) < INT32_MIN || (v as number) > INT32_MAX) allInt = false
    } else if (k === 'string' && distinct.size <= count * DICTIONARY_RATIO + 1) distinct.add(v as string)
  }
  switch (kind) {
    case undefined:
      return new Null()
    case 'number':
      return allInt ? new Int32() : new Float64()
    case 'string':
      return count >= DICTIONARY_MIN_ROWS && distinct.size <= count * DICTIONARY_RATIO ? new Dictionary(new Utf8(), new Int32()) : new Utf8()
    case 'boolean':
      return new Bool()
    case 'date':
      return new TimestampMillisecond()
    case 'bigint':
      return new Int64()
    default:
      throw errors.invalidArgument(`column "${name}" holds ${kind} values; tables take numbers, strings, booleans, Dates, bigints and nulls`, {
        column: name,
      })
  }
}

/** Column names in first-seen order across all records (a ragged record set gets the union). */
export function columnNames(records: readonly Row[]): string[] {
  const names = new Set<string>()
  for (const r of records) for (const k of Object.keys(r)) names.add(k)
  return [...names]
}

/** Builds one column vector of `type` from values (undefined → null), checking each value fits. */
export function columnVector(name: string, values: unknown[], type: DataType): Vector {
  const clean = values.map((v) => (v === undefined ? null : v))
  if (type.typeId === Type.Null) return makeVector({ type: new Null(), length: clean.length, nullCount: clean.length } as never)
  for (let i = 0; i < clean.length; i++) {
    const v = clean[i]
    if (v !== null && !fits(v, type)) {
      throw errors.dataShape(`column "${name}" row ${i}: ${JSON.stringify(String(v))} does not fit the column type ${String(type)}`, {
        column: name,
        row: i,
        type: String(type),
      })
    }
  }
  return vectorFromArray(clean as never[], type as never) as Vector
}

function fits(v: unknown, type: DataType): boolean {
  switch (type.typeId) {
    case Type.Int:
      return (type as unknown as { bitWidth: number }).bitWidth === 64 ? typeof v === 'bigint' || Number.isInteger(v) : Number.isInteger(v)
    case Type.Float:
      return typeof v === 'number'
    case Type.Utf8:
    case Type.Dictionary:
      return typeof v === 'string'
    case Type.Bool:
      return typeof v === 'boolean'
    case Type.Timestamp:
    case Type.Date:
      return v instanceof Date || typeof v === 'number'
    default:
      return true
  }
}

/**
 * Converts records to a table: with `schema`, to exactly those columns and types (how appends
 * keep the stored schema); without, inferring each column's type (a column some records lack is
 * null there).
 *
 * @param options.fillMissing with `schema`: a record lacking a column gets null there, instead of E_DATA_SHAPE
 * @throws {OmegaError} E_DATA_SHAPE (with `schema`) for a column the schema lacks, or a record lacking one of its columns
 */
export function recordsToTable(records: readonly Row[], schema?: Schema, options: { readonly fillMissing?: boolean } = {}): Table {
  const names = schema ? schema.fields.map((f) => f.name) : columnNames(records)
  if (schema) {
    const unknown = columnNames(records).filter((n) => !names.includes(n))
    if (unknown.length > 0) {
      throw errors.dataShape(`records have columns the stored table does not: ${unknown.join(', ')} (stored: ${names.join(', ')})`, {
        unknown,
        columns: names,
      })
    }
    if (!options.fillMissing) requireColumns(records, names, 'of the stored table', 'give every column (null for no value), or pass fillMissing: true to store nulls')
  }
  // Column names are the user's: own-key reads, and a Map, so "__proto__" or "constructor" is a column like any other.
  const vectors = new Map<string, Vector>()
  const fields: Field[] = []
  for (const name of names) {
    const values = records.map((r) => (Object.hasOwn(r, name) ? r[name] : undefined))
    const type = schema ? schema.fields.find((f) => f.name === name)!.type : inferType(name, values)
    vectors.set(name, columnVector(name, values, type))
    fields.push(new Field(name, type, true))
  }
  return new Table(Object.fromEntries(vectors))
}

/**
 * Checks that every record has every one of `names` (a null value is fine).
 *
 * @throws {OmegaError} E_DATA_SHAPE naming the first record that lacks some and which ones
 */
export function requireColumns(records: readonly Row[], names: readonly string[], of: string, hint: string): void {
  const row = records.findIndex((r) => names.some((n) => !Object.hasOwn(r, n)))
  if (row < 0) return
  const missing = names.filter((n) => !Object.hasOwn(records[row]!, n))
  throw errors.dataShape(`record ${row} lacks column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ${of} (${names.join(', ')}); ${hint}`, {
    row,
    missing,
    columns: [...names],
  })
}
