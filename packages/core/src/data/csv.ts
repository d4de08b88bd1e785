import type { Readable } from 'node:stream'
import { Bool, Dictionary, Float64, Int32, Int64, Table, TimestampMillisecond, Utf8, type DataType } from 'apache-arrow'
import { parse } from 'csv-parse'
import { OmegaError, errors, throwIfAborted } from '../errors.js'
import { columnVector } from './records.js'

/** Column types a CSV column can be read as. */
export type CsvColumnType = 'float64' | 'int32' | 'int64' | 'utf8' | 'dictionary' | 'bool' | 'timestamp'

/** Progress of a long CSV read or write. */
export interface CsvProgress {
  readonly rows: number
  readonly bytes: number
}

/** Options of `readCsv`. */
export interface ReadCsvOptions {
  /** Rows per stored record batch (and per type-inference chunk). @default 50000 */
  readonly chunkSize?: number
  /** Keep only these columns (in this order). */
  readonly columns?: readonly string[]
  /** Column types; others are inferred from the first chunk (numbers → float64, true/false → bool, else utf8). */
  readonly types?: Readonly<Record<string, CsvColumnType>>
  /** Field delimiter. @default ',' */
  readonly delimiter?: string
  readonly onProgress?: (progress: CsvProgress) => void
  readonly signal?: AbortSignal
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(NaN|Infinity)\s*$/
const BOOL = /^(true|false)$/i

const TYPES: Record<CsvColumnType, () => DataType> = {
  float64: () => new Float64(),
  int32: () => new Int32(),
  int64: () => new Int64(),
  utf8: () => new Utf8(),
  dictionary: () => new Dictionary(new Utf8(), new Int32()),
  bool: () => new Bool(),
  timestamp: () => new TimestampMillisecond(),
}

/**
 * Infers column types from the first chunk. Numeric columns become float64 even if the first
 * chunk holds only integers, because a later chunk may hold fractions and the stored schema is
 * fixed once the first batch is written; pass `types` for int32/int64.
 */
function inferCsvType(values: readonly string[]): CsvColumnType {
  const present = values.filter((v) => v !== '')
  if (present.length === 0) return 'utf8'
  if (present.every((v) => NUMBER.test(v))) return 'float64'
  if (present.every((v) => BOOL.test(v))) return 'bool'
  const distinct = new Set(present).size
  return present.length >= 16 && distinct <= present.length / 2 ? 'dictionary' : 'utf8'
}

function convert(value: string, type: CsvColumnType, column: string, line: number): unknown {
  if (value === '') return null
  const bad = (): never => {
    throw new OmegaError('E_INVALID_ARGUMENT', `CSV line ${line}, column "${column}": ${JSON.stringify(value)} is not a ${type} (the column's type was ${'inferred from the first chunk or given in types'}); pass types: { ${JSON.stringify(column)}: 'utf8' } to read it as text`, {
      details: { line, column, value, type },
    })
  }
  switch (type) {
    case 'float64':
      return NUMBER.test(value) ? Number(value) : bad()
    case 'int32': {
      const n = Number(value)
      return Number.isInteger(n) && Math.abs(n) < 2 ** 31 ? n : bad()
    }
    case 'int64':
      try {
        return BigInt(value.trim())
      } catch {
        return bad()
      }
    case 'bool':
      return BOOL.test(value) ? value.toLowerCase() === 'true' : bad()
    case 'timestamp': {
      const t = Date.parse(value)
      return Number.isNaN(t) ? bad() : new Date(t)
    }
    default:
      return value
  }
}

/** csv-parse builds records with `record[name] = value`, which drops a column named "__proto__": it is kept under this key. */
const PROTO_KEY = '\u0000__proto__'
const recordKey = (column: string): string => (column === '__proto__' ? PROTO_KEY : column)
const columnOf = (key: string): string => (key === PROTO_KEY ? '__proto__' : key)

/**
 * Streams a CSV (header row first) into Tables of `chunkSize` rows with csv-parse. A malformed row
 * (wrong field count, unclosed quote) or a value that does not fit its column throws
 * E_INVALID_ARGUMENT with its line number.
 */
export async function* csvTables(source: Readable, options: ReadCsvOptions = {}): AsyncIterable<Table> {
  const chunkSize = options.chunkSize ?? 50_000
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw errors.invalidArgument(`chunkSize must be a positive integer, got ${String(chunkSize)}`)
  let bytes = 0
  source.on('data', (d: Buffer | string) => (bytes += typeof d === 'string' ? Buffer.byteLength(d) : d.byteLength))
  const parser = source.pipe(parse({ columns: (names: string[]) => names.map(recordKey), info: true, delimiter: options.delimiter ?? ',', skip_empty_lines: true, bom: true }))
  source.on('error', (err) => parser.destroy(err))
  let types: Map<string, CsvColumnType> | undefined
  let header: string[] | undefined
  let chunk: { record: Record<string, string>; line: number }[] = []
  let rows = 0
  const flush = (): Table => {
    header ??= options.columns ? [...options.columns] : Object.keys(chunk[0]?.record ?? {}).map(columnOf)
    // Column names are the user's: own-key reads only, so "constructor" is a column like any other.
    const cell = (record: Record<string, string>, c: string): string => (Object.hasOwn(record, recordKey(c)) ? record[recordKey(c)]! : '')
    if (!types) {
      types = new Map()
      for (const c of header) {
        const given = options.types && Object.hasOwn(options.types, c) ? options.types[c] : undefined
        types.set(c, given ?? inferCsvType(chunk.map((r) => cell(r.record, c))))
      }
    }
    const vectors = Object.fromEntries(
      header.map((c) => {
        const t = types!.get(c)!
        const values = chunk.map(({ record, line }) => convert(cell(record, c), t, c, line))
        return [c, columnVector(c, values, TYPES[t]())]
      }),
    )
    rows += chunk.length
    chunk = []
    options.onProgress?.({ rows, bytes })
    return new Table(vectors)
  }
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      throwIfAborted(options.signal)
      if (!header && options.columns) {
        const missing = options.columns.filter((c) => !Object.hasOwn(record, recordKey(c)))
        if (missing.length > 0) throw errors.invalidArgument(`CSV has no column ${missing.map((m) => `"${m}"`).join(', ')}; its columns: ${Object.keys(record).map(columnOf).join(', ')}`)
      }
      chunk.push({ record, line: info.lines })
      if (chunk.length >= chunkSize) yield flush()
    }
  } catch (err) {
    if (OmegaError.is(err)) throw err
    const e = err as { message: string; lines?: number; code?: string }
    throw new OmegaError('E_INVALID_ARGUMENT', `CSV is malformed${e.lines ? ` at line ${e.lines}` : ''}: ${e.message}`, {
      cause: err,
      details: { ...(e.lines !== undefined && { line: e.lines }), ...(e.code !== undefined && { code: e.code }) },
    })
  }
  if (chunk.length > 0 || rows === 0) {
    if (chunk.length === 0 && !header) throw errors.invalidArgument('CSV has no data rows; nothing to store')
    yield flush()
  }
}
