import { Table, Type, tableFromIPC, tableToIPC, type Vector } from 'apache-arrow'
import { errors } from '../errors.js'
import type { JsonObject } from '../json.js'
import { isArrowTable, isRecordBatch, ownTable } from '../data/arrow.js'
import { isRecords, recordsToTable, type Row } from '../data/records.js'
import { DTYPE_ARRAYS, Tensor, type TensorData, type TensorDtype } from '../data/tensor.js'
import type { EncodedData } from './runtime.js'

/** What a model operation takes: a table (columns are features) or a tensor. */
export type ModelInput = Table | Tensor

/**
 * Turns what a caller may pass as X or Y into a table or tensor: an Arrow Table or RecordBatch,
 * records, `number[][]` (rows), `number[]` (one value per row) or a Tensor.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT for anything else; E_DATA_SHAPE for ragged rows
 */
export function toModelInput(value: unknown, what: string): ModelInput {
  if (isArrowTable(value) || isRecordBatch(value)) return ownTable(value)
  if (value instanceof Tensor) return value
  if (Tensor.isTensorLike(value)) return Tensor.from(value)
  if (isRecords(value)) return recordsToTable(value as Row[])
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((r) => Array.isArray(r))) {
      const rows = value as unknown[][]
      const width = rows[0]!.length
      const data = new Float64Array(rows.length * width)
      let numeric = true
      rows.forEach((r, i) => {
        if (r.length !== width) throw errors.dataShape(`${what}: row ${i} has ${r.length} values, row 0 has ${width}`, { row: i, expected: width, got: r.length })
        for (let j = 0; j < width; j++) {
          const v = r[j]
          if (typeof v !== 'number') numeric = false
          data[i * width + j] = Number(v)
        }
      })
      const tensor = new Tensor('float64', [rows.length, width], data)
      if (numeric) SOURCE_ROWS.set(tensor, rows as number[][])
      return tensor
    }
    if (value.every((v) => typeof v === 'number' || typeof v === 'boolean')) return new Tensor('float64', [value.length], Float64Array.from(value as number[], Number))
  }
  throw errors.invalidArgument(`${what} must be a dataset name, an Arrow table, records, number[][], number[] or a Tensor`)
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

/** Rows of an input. */
export function inputRows(input: ModelInput): number {
  return input instanceof Tensor ? (input.shape[0] ?? 1) : input.numRows
}

/** Feature columns of an input: count, and names for tables. */
export function inputFeatures(input: ModelInput): { count: number; names?: string[] } {
  if (input instanceof Tensor) return { count: input.shape.length < 2 ? 1 : input.shape.slice(1).reduce((a, b) => a * b, 1) }
  return { count: input.numCols, names: input.schema.fields.map((f) => f.name) }
}

/**
 * Encodes an input for another thread. Tables become Arrow IPC (a fresh buffer, safe to transfer);
 * tensor elements are copied when `copy` (a caller's buffer must never be detached by a transfer).
 */
export function encodeInput(input: ModelInput, copy: boolean): EncodedData {
  if (!(input instanceof Tensor)) return { format: 'arrow-ipc', bytes: tableToIPC(input, 'stream') }
  return encodeTensor(input, copy)
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

/** Any model input as a tensor (tables via {@link tableToTensor}). */
export function asTensor(input: ModelInput, what: string): Tensor {
  return input instanceof Tensor ? input : tableToTensor(input, what)
}
