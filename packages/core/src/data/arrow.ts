import { RecordBatch, Schema, Struct, Table, makeData, tableFromIPC, tableToIPC, type Data, type Field } from 'apache-arrow'
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

/** Builds a record batch from columns (fields and their data, all of one length). */
export function batchOf(fields: readonly Field[], columns: readonly Data[], length: number): RecordBatch {
  const schema = new Schema([...fields])
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: [...columns] }))
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

export function decodeSchema(bytes: Uint8Array): Schema {
  try {
    return tableFromIPC(bytes).schema
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
