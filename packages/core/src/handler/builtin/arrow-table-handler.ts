import { Table, makeVector, vectorFromArray, type Data, type Field, type RecordBatch, type Schema, type Vector } from 'apache-arrow'
import { OmegaError, errors, throwIfAborted } from '../../errors.js'
import type { JsonObject } from '../../json.js'
import { batchOf, decodeColumn, decodeSchema, encodeColumn, encodeSchema, isArrowTable, isRecordBatch, ownTable, schemaToJson } from '../../data/arrow.js'
import type { CompiledFilter } from '../../data/filter.js'
import { isRecords, recordsToTable, type Row } from '../../data/records.js'
import type { PartWriter } from '../../store/commit.js'
import { IO_CONCURRENCY, forEachLimit } from '../../store/pool.js'
import type { Artifacts, Handler, HandlerContext, StoredArtifacts } from '../handler.js'

/** Rows per stored record batch: larger input batches are sliced, so a batch is read in bounded memory. */
export const DEFAULT_BATCH_ROWS = 131_072

/** What a table's kindMeta records. */
export interface TableKindMeta extends JsonObject {
  format: 1
  rows: number
  columns: JsonObject[]
  /** Rows per stored batch; batch i, column j is part `b<i>.c<j>`. */
  batches: { rows: number }[]
}

/** A read of a stored table: which columns, which rows, which filter. */
export interface TableScan {
  /** Column names to return, in this order (default: all, in schema order). */
  readonly columns?: readonly string[]
  /** Row range [start, end) of the stored table, before filtering. */
  readonly start?: number
  readonly end?: number
  readonly filter?: CompiledFilter
  readonly signal?: AbortSignal
}

const partName = (batch: number, column: number): string => `b${batch}.c${column}`

/**
 * Kind `arrow.table`: an Arrow Table or RecordBatch, or an array of plain records. Stored as one
 * blob per (record batch × column), each a single-column Arrow IPC stream, plus the schema alone.
 * So reading some columns reads only their bytes, an append writes new batches without touching
 * stored ones, and batches are read one at a time.
 */
export class ArrowTableHandler implements Handler<Table> {
  readonly kind = 'arrow.table'
  readonly stores = ['datasets'] as const

  constructor(readonly batchRows: number = DEFAULT_BATCH_ROWS) {}

  supports(value: unknown): boolean {
    return isArrowTable(value) || isRecordBatch(value) || isRecords(value)
  }

  /** The value as a Table (one from another apache-arrow copy re-wrapped as ours); records are converted to `schema`'s types when given (appends, see {@link recordsToTable}). */
  toTable(value: unknown, schema?: Schema, options: { readonly fillMissing?: boolean } = {}): Table {
    if (isArrowTable(value) || isRecordBatch(value)) return ownTable(value)
    if (isRecords(value)) return recordsToTable(value as Row[], schema, options)
    throw errors.unsupported('arrow.table takes an Arrow Table, a RecordBatch or an array of records')
  }

  async serialize(value: Table | RecordBatch | Row[], context: HandlerContext): Promise<Artifacts> {
    const table = this.toTable(value)
    const parts: Record<string, Uint8Array | AsyncIterable<Uint8Array>> = { schema: encodeSchema(table.schema) }
    const batches = [...this.slices(table)]
    batches.forEach((batch, i) => {
      for (let j = 0; j < table.numCols; j++) parts[partName(i, j)] = lazy(() => encodeColumn(batch, j), context.signal)
    })
    return { kindMeta: this.kindMeta(table.schema, batches.map((b) => ({ rows: b.numRows }))), parts }
  }

  /** Writes `table`'s batches as parts numbered from `first`; returns their row counts. */
  async writeBatches(table: Table, write: PartWriter, first: number, signal?: AbortSignal): Promise<{ rows: number }[]> {
    const out: { rows: number }[] = []
    for (const batch of this.slices(table)) {
      throwIfAborted(signal)
      const index = first + out.length
      const columns = Array.from({ length: table.numCols }, (_, j) => j)
      await forEachLimit(columns, IO_CONCURRENCY, async (j) => {
        await write(partName(index, j), encodeColumn(batch, j))
      })
      out.push({ rows: batch.numRows })
    }
    return out
  }

  kindMeta(schema: Schema, batches: { rows: number }[]): TableKindMeta {
    return { format: 1, rows: batches.reduce((n, b) => n + b.rows, 0), columns: schemaToJson(schema), batches }
  }

  async deserialize(stored: StoredArtifacts, context: HandlerContext): Promise<Table> {
    return await this.read(stored, { ...(context.signal && { signal: context.signal }) })
  }

  /** The stored schema (exact types, nullability, metadata). */
  async schema(stored: StoredArtifacts): Promise<Schema> {
    return decodeSchema(await stored.bytes('schema'))
  }

  /** Reads a scan into one Table (keeps the selected schema even when no row matches). */
  async read(stored: StoredArtifacts, scan: TableScan): Promise<Table> {
    const batches: RecordBatch[] = []
    for await (const batch of this.scan(stored, scan)) batches.push(batch)
    if (batches.length > 0) return new Table(batches)
    const schema = await this.schema(stored)
    const columns = scan.columns ?? schema.fields.map((f) => f.name)
    return new Table(selectSchema(schema, columns))
  }

  /**
   * Streams the stored batches that overlap the row range, reading only the parts of the selected
   * and filtered columns, one batch at a time (memory stays at one batch of those columns).
   */
  async *scan(stored: StoredArtifacts, scan: TableScan): AsyncIterable<RecordBatch> {
    const meta = tableLayout(stored.kindMeta, stored.name)
    const names = meta.columns.map((c) => c.name as string)
    const selected = scan.columns ?? names
    const needed = [...new Set([...selected, ...(scan.filter?.columns ?? [])])]
    const start = scan.start ?? 0
    const end = scan.end ?? meta.rows
    // Every batch is built on the stored schema's fields, so batches read from separately encoded
    // parts (whose nullability or dictionary ids may differ) form one consistent Table.
    const canonical = new Map((await this.schema(stored)).fields.map((f) => [f.name, f]))
    // The batches to read, with their first row; the next batch's parts are fetched while the
    // current one is decoded, so storage reads overlap hashing and decoding.
    const wanted: { index: number; first: number; rows: number }[] = []
    let offset = 0
    for (let i = 0; i < meta.batches.length; i++) {
      const rows = meta.batches[i]!.rows
      if (offset + rows > start && offset < end) wanted.push({ index: i, first: offset, rows })
      offset += rows
    }
    const fetch = (i: number): Promise<Uint8Array[]> =>
      Promise.all(needed.map((name) => stored.bytes(partName(i, names.indexOf(name)))))
    let pending = wanted.length > 0 ? fetch(wanted[0]!.index) : undefined
    for (const [w, { index: i, first: batchStart, rows }] of wanted.entries()) {
      throwIfAborted(scan.signal)
      const parts = await pending!
      pending = w + 1 < wanted.length ? fetch(wanted[w + 1]!.index) : undefined
      pending?.catch(() => undefined)
      const fields = new Map<string, Field>()
      const data = new Map<string, Data>()
      needed.forEach((name, k) => {
        const decoded = decodeColumn(parts[k]!, `part ${partName(i, names.indexOf(name))} (column "${name}", batch ${i})`)
        if (decoded.data.length !== rows) throw damaged(stored.name, `part ${partName(i, names.indexOf(name))} holds ${decoded.data.length} rows, its batch records ${rows}`)
        const field = canonical.get(name) ?? decoded.field
        fields.set(name, field)
        data.set(name, decoded.data.type === field.type ? decoded.data : decoded.data.clone(field.type))
      })
      let batch = batchOf(selected.map((n) => fields.get(n)!), selected.map((n) => data.get(n)!), rows)
      const from = Math.max(0, start - batchStart)
      const to = Math.min(rows, end - batchStart)
      if (scan.filter) {
        const vectors = new Map<string, Vector>([...data].map(([n, d]) => [n, makeVector(d)]))
        const indices = scan.filter.select(vectors, rows).filter((r) => r >= from && r < to)
        if (indices.length === 0) continue
        if (indices.length < rows) batch = take(batch, indices)
      } else if (from > 0 || to < rows) {
        batch = batch.slice(from, to)
      }
      yield batch
    }
  }

  *slices(table: Table): Iterable<RecordBatch> {
    for (const batch of table.batches) {
      for (let at = 0; at < batch.numRows; at += this.batchRows) {
        yield at === 0 && batch.numRows <= this.batchRows ? batch : batch.slice(at, Math.min(batch.numRows, at + this.batchRows))
      }
    }
  }
}

/**
 * A stored table's kindMeta, checked before any part is read: columns named, batch row counts
 * non-negative integers that add up to `rows`. Stored metadata may be hostile; a count that does
 * not add up is E_INTEGRITY, never a loop or an allocation sized by it.
 */
export function tableLayout(kindMeta: JsonObject, name: string | undefined): TableKindMeta {
  const meta = kindMeta as Partial<TableKindMeta>
  const rowCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
  if (!Array.isArray(meta.columns) || meta.columns.some((c) => typeof c !== 'object' || c === null || typeof (c as { name?: unknown }).name !== 'string')) {
    throw damaged(name, 'its column list is not a list of named columns')
  }
  if (!Array.isArray(meta.batches) || meta.batches.some((b) => typeof b !== 'object' || b === null || !rowCount((b as { rows?: unknown }).rows))) {
    throw damaged(name, 'its batch list is not a list of row counts')
  }
  const total = meta.batches.reduce((n, b) => n + b.rows, 0)
  if (meta.rows !== total) throw damaged(name, `it records ${String(meta.rows)} rows but its batches hold ${total}`)
  return meta as TableKindMeta
}

function damaged(name: string | undefined, what: string): OmegaError {
  const subject = name === undefined ? 'a stored table' : `stored table "${name}"`
  return new OmegaError('E_INTEGRITY', `${subject} is damaged: ${what}; put it again`, { details: name === undefined ? {} : { name } })
}

/** The schema restricted to `columns`, in that order. */
export function selectSchema(schema: Schema, columns: readonly string[]): Schema {
  return schema.select(columns as string[])
}

/** Rows `indices` of a batch, every column gathered with its own type. */
function take(batch: RecordBatch, indices: readonly number[]): RecordBatch {
  const fields = batch.schema.fields
  const columns = fields.map((_, j) => {
    const vector = batch.getChildAt(j)!
    const values = indices.map((i) => vector.get(i) as unknown)
    return makeColumn(vector, values)
  })
  return batchOf(fields, columns, indices.length)
}

/** Rebuilds a column of the vector's own type (dictionaries are re-encoded). */
function makeColumn(vector: Vector, values: unknown[]): Data {
  return (vectorFromArray(values as never[], vector.type as never) as Vector).data[0]!
}

function lazy(make: () => Uint8Array, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      throwIfAborted(signal)
      yield make()
    },
  }
}
