import { Table, Type, tableFromIPC, tableToIPC, type Vector } from 'apache-arrow'
import { errors } from '../errors.js'
import { isPlainObject, type JsonObject } from '../json.js'
import { isArrowTable, isRecordBatch, ownTable } from '../data/arrow.js'
import { columnNames, isRecords, recordsToTable, requireColumns, type Row } from '../data/records.js'
import { DTYPE_ARRAYS, Tensor, type TensorData, type TensorDtype } from '../data/tensor.js'
import type { EncodedData } from './runtime.js'

/** Data for a model with several named inputs (multi-input ONNX models): input name → table or tensor. */
export type NamedInputs = Readonly<Record<string, Table | Tensor>>

/** What a model operation takes: a table (columns are features), a tensor, or named inputs. */
export type ModelInput = Table | Tensor | NamedInputs

/** True for a record of named inputs (not a table, not a tensor). */
export function isNamedInputs(value: unknown): value is NamedInputs {
  return isPlainObject(value) && !Tensor.isTensorLike(value)
}

/**
 * Turns what a caller may pass as X or Y into a table or tensor: an Arrow Table or RecordBatch,
 * records, `number[][]` (rows; `string[][]` gives a string tensor for models with text inputs),
 * `number[]` (one value per row), a Tensor, or a record of those (one per input of a
 * multi-input model).
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT for anything else; E_DATA_SHAPE for ragged rows or records, a value
 *   in `number[][]` that is not a number (naming its row and column), or named inputs whose row counts differ
 */
export function toModelInput(value: unknown, what: string): ModelInput {
  // A Tensor first: the hot predict passes one, and the foreign-Arrow checks below cost more.
  if (value instanceof Tensor) return value
  if (isArrowTable(value) || isRecordBatch(value)) return ownTable(value)
  if (Tensor.isTensorLike(value)) return Tensor.from(value)
  if (isRecords(value)) {
    requireColumns(value, columnNames(value), `of ${what}`, 'give every column in every record (null for a missing value)')
    return recordsToTable(value as Row[])
  }
  if (isNamedInputs(value)) return namedInputs(value, what)
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((r) => Array.isArray(r))) return rowsToTensor(value as unknown[][], what)
    if (value.every((v) => typeof v === 'number' || typeof v === 'boolean')) return new Tensor('float64', [value.length], Float64Array.from(value as number[], Number))
  }
  throw errors.invalidArgument(`${what} must be a dataset name, an Arrow table, records, number[][], number[] or a Tensor`)
}

/** Rows as a float64 tensor (null → NaN); rows of strings only as a string tensor. */
function rowsToTensor(rows: unknown[][], what: string): Tensor {
  const width = rows[0]!.length
  const strings = width > 0 && typeof rows[0]![0] === 'string'
  const data = strings ? new Array<string>(rows.length * width) : new Float64Array(rows.length * width)
  let nulls = false
  rows.forEach((r, i) => {
    if (r.length !== width) throw errors.dataShape(`${what}: row ${i} has ${r.length} values, row 0 has ${width}`, { row: i, expected: width, got: r.length })
    for (let j = 0; j < width; j++) {
      const v = r[j]
      if (strings ? typeof v !== 'string' : typeof v !== 'number' && v !== null) {
        const shown = typeof v === 'string' ? JSON.stringify(v) : v instanceof Date ? `a Date (${v.toISOString()})` : `${describe(v)} ${String(v)}`
        throw errors.dataShape(`${what} row ${i}, column ${j}: ${shown} is not a ${strings ? 'string like the rest of row 0' : 'number'}; number[][] rows take numbers only (encode text, booleans and dates as numbers first)`, {
          row: i,
          column: j,
        })
      }
      if (v === null) nulls = true
      data[i * width + j] = (v ?? NaN) as never
    }
  })
  if (strings) return new Tensor('string', [rows.length, width], data as string[])
  const tensor = new Tensor('float64', [rows.length, width], data as Float64Array)
  if (!nulls) SOURCE_ROWS.set(tensor, rows as number[][])
  return tensor
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`
}

function namedInputs(value: Record<string, unknown>, what: string): NamedInputs {
  const entries = Object.entries(value).map(([name, v]): [string, Table | Tensor] => {
    const input = toModelInput(v, `${what} input "${name}"`)
    if (isNamedInputs(input)) throw errors.invalidArgument(`${what} input "${name}" must be a table, rows or a Tensor, not another record`)
    return [name, input]
  })
  if (entries.length === 0) throw errors.invalidArgument(`${what} is an empty record; pass one entry per model input`)
  const rows = entries.map(([, v]) => inputRows(v))
  const other = rows.findIndex((r) => r !== rows[0])
  if (other > 0) {
    throw errors.dataShape(`${what}: input "${entries[other]![0]}" has ${rows[other]} rows but "${entries[0]![0]}" has ${rows[0]}; every input needs the same rows`, {
      inputs: entries.map(([n]) => n),
      rows,
    })
  }
  return Object.fromEntries(entries)
}

/**
 * The caller's own rows behind a tensor built from `number[][]`: a handler on the same thread that
 * wants rows (ml.js) gets them back without a second conversion. Never sent across threads.
 */
const SOURCE_ROWS = new WeakMap<Tensor, number[][]>()

/** The numeric rows a tensor was built from, if it was built from rows on this thread. */
export function sourceRows(tensor: Tensor): number[][] | undefined {
  return SOURCE_ROWS.get(tensor)
}

/** Rows of an input (named inputs: those of the first). */
export function inputRows(input: ModelInput): number {
  if (input instanceof Tensor) return input.shape[0] ?? 1
  if (isNamedInputs(input)) return inputRows(Object.values(input)[0]!)
  return input.numRows
}

/** Feature columns of an input: count, and names and Arrow types for tables. */
export function inputFeatures(input: ModelInput): { count: number; names?: string[]; types?: string[] } {
  if (input instanceof Tensor) return { count: input.shape.length < 2 ? 1 : input.shape.slice(1).reduce((a, b) => a * b, 1) }
  if (isNamedInputs(input)) return { count: Object.values(input).reduce((n, v) => n + inputFeatures(v).count, 0) }
  return { count: input.numCols, names: input.schema.fields.map((f) => f.name), types: input.schema.fields.map((f) => String(f.type)) }
}

/**
 * Encodes an input for another thread. Tables become Arrow IPC (a fresh buffer, safe to transfer);
 * tensor elements are copied when `copy` (a caller's buffer must never be detached by a transfer);
 * named inputs become one buffer holding each input's encoding (8-byte aligned).
 */
export function encodeInput(input: ModelInput, copy: boolean): EncodedData {
  if (input instanceof Tensor) return encodeTensor(input, copy)
  if (!isNamedInputs(input)) return { format: 'arrow-ipc', bytes: tableToIPC(input, 'stream') }
  const encoded = Object.entries(input).map(([name, v]) => [name, encodeInput(v, false)] as const)
  let offset = 0
  const parts: JsonObject[] = encoded.map(([name, e]) => {
    const part: JsonObject = { name, format: e.format, offset, length: e.bytes.byteLength, ...(e.meta && { meta: e.meta }) }
    offset += Math.ceil(e.bytes.byteLength / 8) * 8
    return part
  })
  const bytes = new Uint8Array(offset)
  encoded.forEach(([, e], i) => bytes.set(e.bytes, parts[i]!.offset as number))
  return { format: 'inputs', bytes, meta: { inputs: parts } }
}

export function encodeTensor(tensor: Tensor, copy: boolean): EncodedData {
  const meta: JsonObject = { dtype: tensor.dtype, shape: [...tensor.shape] }
  if (tensor.dtype === 'string') return { format: 'tensor', bytes: new TextEncoder().encode(JSON.stringify(tensor.data)), meta }
  const data = tensor.data as Exclude<TensorData, string[]>
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
  return { format: 'tensor', bytes: copy || !whole ? view.slice() : view, meta }
}

/** Rebuilds an input from its encoding (zero-copy for tensors whose bytes are aligned). */
export function decodeInput(encoded: EncodedData): ModelInput {
  if (encoded.format === 'arrow-ipc') return tableFromIPC(encoded.bytes)
  if (encoded.format === 'inputs') {
    const parts = (encoded.meta as { inputs: { name: string; format: EncodedData['format']; offset: number; length: number; meta?: JsonObject }[] }).inputs
    return Object.fromEntries(parts.map((p) => [p.name, decodeInput({ format: p.format, bytes: encoded.bytes.subarray(p.offset, p.offset + p.length), ...(p.meta && { meta: p.meta }) }) as Table | Tensor]))
  }
  const { dtype, shape } = encoded.meta as { dtype: TensorDtype; shape: number[] }
  if (dtype === 'string') return new Tensor('string', shape, JSON.parse(new TextDecoder().decode(encoded.bytes)) as string[])
  const Ctor = DTYPE_ARRAYS[dtype] as unknown as { new (b: ArrayBufferLike, o: number, n: number): TensorData; BYTES_PER_ELEMENT: number }
  const bytes = encoded.bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 ? encoded.bytes : encoded.bytes.slice()
  return new Tensor(dtype, shape, new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT) as never)
}

/** The ArrayBuffers of encoded data, to pass as a transfer list. */
export function transferList(...encoded: (EncodedData | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>()
  for (const e of encoded) if (e && e.bytes.buffer instanceof ArrayBuffer) out.add(e.bytes.buffer)
  return [...out]
}

const NUMERIC = new Set([Type.Int, Type.Float, Type.Bool, Type.Timestamp, Type.Date, Type.Decimal])

/**
 * A table as a float64 matrix [rows, columns]: numbers as they are, booleans as 0/1, timestamps as
 * epoch ms, nulls as NaN. Text columns are refused: encode them as numbers first.
 *
 * @throws {OmegaError} E_DATA_SHAPE naming a non-numeric column
 */
export function tableToTensor(table: Table, what = 'X'): Tensor {
  const rows = table.numRows
  const cols = table.numCols
  const out = new Float64Array(rows * cols)
  table.schema.fields.forEach((field, j) => {
    if (!NUMERIC.has(field.type.typeId)) {
      throw errors.dataShape(`${what} column "${field.name}" is ${String(field.type)}; models take numeric columns (encode text as numbers, or select the numeric columns)`, {
        column: field.name,
        type: String(field.type),
      })
    }
    const vector = table.getChildAt(j) as Vector
    let i = 0
    for (const v of vector) {
      out[i * cols + j] = v === null ? NaN : Number(v)
      i++
    }
  })
  return new Tensor('float64', cols === 1 && what === 'Y' ? [rows] : [rows, cols], out)
}

/**
 * Any model input as a numeric tensor (tables via {@link tableToTensor}).
 *
 * @throws {OmegaError} E_DATA_SHAPE for a string tensor; E_INVALID_ARGUMENT for named inputs (only multi-input models take them)
 */
export function asTensor(input: ModelInput, what: string): Tensor {
  if (isNamedInputs(input)) {
    throw errors.invalidArgument(`${what} is a record of named inputs (${Object.keys(input).join(', ')}); only multi-input models (ONNX) take that: pass one table, rows or a Tensor`, {
      inputs: Object.keys(input),
    })
  }
  if (input instanceof Tensor && input.dtype === 'string') {
    throw errors.dataShape(`${what} holds strings (${JSON.stringify((input.data as string[])[0])} first); this model takes numbers (encode text as numbers first)`, { dtype: 'string' })
  }
  return input instanceof Tensor ? input : tableToTensor(input, what)
}
