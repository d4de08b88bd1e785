import { DataType, RecordBatch, RecordBatchReader, Schema, Struct, Table, Type, makeData, tableFromIPC, tableToIPC, type Data, type Field } from 'apache-arrow'
import { OmegaError } from '../errors.js'
import type { JsonObject } from '../json.js'
import { looksLikeRecordBatch, looksLikeTable, ownTable } from './foreign-arrow.js'

export { ownTable }

/** True for an Arrow Table, also from another copy of apache-arrow (convert it with {@link ownTable}). */
export function isArrowTable(value: unknown): value is Table {
  return value instanceof Table || looksLikeTable(value)
}

/** True for an Arrow RecordBatch, also from another copy of apache-arrow (convert it with {@link ownTable}). */
export function isRecordBatch(value: unknown): value is RecordBatch {
  return value instanceof RecordBatch || looksLikeRecordBatch(value)
}

/** Encodes one column of a batch as an Arrow IPC stream (its schema message + one batch). */
export function encodeColumn(batch: RecordBatch, index: number): Uint8Array {
  const field = batch.schema.fields[index]!
  const child = batch.data.children[index]!
  try {
    return tableToIPC(new Table([singleColumnBatch(field, child, batch.numRows)]), 'stream')
  } catch (err) {
    throw new OmegaError('E_INVALID_ARGUMENT', `column "${field.name}" (${String(field.type)}) cannot be written as Arrow IPC: ${(err as Error).message}`, {
      cause: err,
      details: { column: field.name, type: String(field.type) },
    })
  }
}

/** A record batch of one column. */
export function singleColumnBatch(field: Field, data: Data, length: number): RecordBatch {
  const schema = new Schema([field])
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: [data] }))
}

/**
 * A Schema whose `assign` of its very own fields returns itself. apache-arrow's `RecordBatch`
 * constructor (and so `slice`) calls `schema.assign(fields)`, which is quadratic in the number of
 * columns (30 s for 100,000); with unchanged fields the result equals the schema, so this returns
 * it in linear time. Any other `assign` is apache-arrow's own.
 */
class WideSchema<T extends Record<string | number | symbol, DataType> = any> extends Schema<T> {
  override assign(...args: unknown[]): Schema<any> {
    const [fields] = args
    if (args.length === 1 && Array.isArray(fields) && fields.length === this.fields.length && fields.every((f, i) => f === this.fields[i])) return this
    return (Schema.prototype.assign as (...a: unknown[]) => Schema<any>).apply(this, args)
  }
}

/** Builds a record batch from columns (fields and their data, all of one length), in time linear in the number of columns. */
export function batchOf(fields: readonly Field[], columns: readonly Data[], length: number): RecordBatch {
  const schema = new WideSchema([...fields])
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: [...columns] }))
}

/** Encodes columns [from, to) of a batch as one Arrow IPC stream (their schema message + one batch). */
export function encodeColumns(batch: RecordBatch, from: number, to: number): Uint8Array {
  if (to - from === 1) return encodeColumn(batch, from)
  const fields = batch.schema.fields.slice(from, to)
  try {
    return tableToIPC(new Table([batchOf(fields, batch.data.children.slice(from, to), batch.numRows)]), 'stream')
  } catch (err) {
    throw new OmegaError('E_INVALID_ARGUMENT', `columns "${fields[0]!.name}" to "${fields.at(-1)!.name}" cannot be written as Arrow IPC: ${(err as Error).message}`, {
      cause: err,
      details: { from: fields[0]!.name, to: fields.at(-1)!.name },
    })
  }
}

/** From this many columns on, a part is decoded on a {@link WideSchema}. */
const WIDE_PART = 64

/**
 * Decodes a part of `count` columns and `rows` rows back to fields and data, in time linear in
 * the number of columns.
 *
 * @throws {OmegaError} E_INTEGRITY if the bytes are not such an Arrow IPC stream
 */
export function decodeColumns(bytes: Uint8Array, count: number, rows: number, what: string): { fields: Field[]; data: Data[] } {
  let batch: RecordBatch | undefined
  try {
    const reader = RecordBatchReader.from(bytes)
    reader.open()
    // The reader builds its batch on this schema: for a part of many columns, make its assign
    // linear (see WideSchema); a few columns keep apache-arrow's own, already cheap path.
    if (count > WIDE_PART && reader.schema instanceof Schema) Object.setPrototypeOf(reader.schema, WideSchema.prototype)
    const next = reader.next()
    batch = next.done ? undefined : next.value
  } catch (err) {
    throw new OmegaError('E_INTEGRITY', `${what} is not readable Arrow IPC (${(err as Error).message}); put the dataset again`, { cause: err })
  }
  if (!batch || batch.schema.fields.length !== count || batch.numRows !== rows) {
    throw new OmegaError('E_INTEGRITY', `${what} does not hold ${count} column(s) of ${rows} rows; put the dataset again`)
  }
  return { fields: batch.schema.fields, data: batch.data.children }
}

/** The columns with buffers of their own (encoded and decoded again), so they no longer keep the buffer they were read from alive. */
export function copyColumns(fields: readonly Field[], data: readonly Data[], rows: number): { fields: Field[]; data: Data[] } {
  const bytes = tableToIPC(new Table([batchOf(fields, data, rows)]), 'stream')
  return decodeColumns(bytes, fields.length, rows, 'a copy of read columns')
}

/** Per column, what its IPC encoding costs beyond the buffers (schema field, node and buffer entries). */
const COLUMN_OVERHEAD = 128

/** The approximate encoded size of one column: its buffers over its rows, plus {@link COLUMN_OVERHEAD}. */
export function estimateColumnBytes(data: Data): number {
  return COLUMN_OVERHEAD + dataBytes(data)
}

function dataBytes(data: Data): number {
  const { length, type } = data
  let n = data.nullCount > 0 ? Math.ceil(length / 8) : 0
  if (data.typeIds) n += length
  if (data.valueOffsets) {
    const offsets = data.valueOffsets as ArrayLike<number | bigint>
    n += (length + 1) * (data.valueOffsets as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
    if (data.values && offsets.length > data.offset + length) {
      n += Math.max(0, Number(offsets[data.offset + length]!) - Number(offsets[data.offset]!))
    }
  } else if (type.typeId === Type.Bool) {
    n += Math.ceil(length / 8)
  } else if (data.values) {
    n += length * data.stride * (data.values as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
  }
  for (const child of data.children) if (child) n += dataBytes(child)
  for (const dictionary of data.dictionary?.data ?? []) n += dataBytes(dictionary)
  return n
}

/** The dictionary ids a column's type uses (nested ones included); two columns of one IPC stream must not share one. */
export function dictionaryIds(type: DataType): number[] {
  const out: number[] = []
  const visit = (t: DataType): void => {
    if (t.typeId === Type.Dictionary) {
      const d = t as unknown as { id: number; dictionary: DataType }
      out.push(d.id)
      visit(d.dictionary)
    }
    for (const child of (t as { children?: Field[] }).children ?? []) visit(child.type)
  }
  visit(type)
  return out
}

/**
 * Decodes a column part back to its field and data.
 *
 * @throws {OmegaError} E_INTEGRITY if the bytes are not a single-column Arrow IPC stream
 */
export function decodeColumn(bytes: Uint8Array, what: string): { field: Field; data: Data } {
  let table: Table
  try {
    table = tableFromIPC(bytes)
  } catch (err) {
    throw new OmegaError('E_INTEGRITY', `${what} is not readable Arrow IPC (${(err as Error).message}); put the dataset again`, { cause: err })
  }
  const batch = table.batches[0]
  if (!batch || table.schema.fields.length !== 1) {
    throw new OmegaError('E_INTEGRITY', `${what} is not a single-column Arrow IPC stream; put the dataset again`)
  }
  return { field: table.schema.fields[0]!, data: batch.data.children[0]! }
}

/** Encodes a schema alone (an IPC stream with no batches): how an empty table keeps its columns. */
export function encodeSchema(schema: Schema): Uint8Array {
  return tableToIPC(new Table(schema), 'stream')
}

/** Decodes a schema stored by {@link encodeSchema} (read with the stream reader: `tableFromIPC` would build an empty batch, quadratic in the number of columns). */
export function decodeSchema(bytes: Uint8Array): Schema {
  try {
    const reader = RecordBatchReader.from(bytes)
    reader.open()
    return reader.schema
  } catch (err) {
    throw new OmegaError('E_INTEGRITY', `a stored table schema is not readable Arrow IPC (${(err as Error).message}); put the dataset again`, { cause: err })
  }
}

/** A schema as JSON for metadata: name, type and nullability per column. */
export function schemaToJson(schema: Schema): JsonObject[] {
  return schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }))
}

/** Human-readable differences between a stored schema and an incoming one (empty if compatible). */
export function schemaDifferences(stored: Schema, incoming: Schema): string[] {
  const diffs: string[] = []
  const a = stored.fields
  const b = incoming.fields
  const names = (fs: readonly Field[]): string => fs.map((f) => f.name).join(', ')
  if (a.length !== b.length || a.some((f, i) => f.name !== b[i]!.name)) {
    diffs.push(`columns differ: stored [${names(a)}], given [${names(b)}]`)
    return diffs
  }
  a.forEach((f, i) => {
    const g = b[i]!
    if (String(f.type) !== String(g.type)) diffs.push(`column "${f.name}": stored ${String(f.type)}, given ${String(g.type)}`)
  })
  return diffs
}
