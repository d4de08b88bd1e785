import { Table, makeVector, vectorFromArray, type Data, type Field, type RecordBatch, type Schema, type Vector } from 'apache-arrow'
import { OmegaError, errors, throwIfAborted } from '../../errors.js'
import type { JsonObject } from '../../json.js'
import { batchOf, copyColumns, decodeColumns, decodeSchema, dictionaryIds, encodeColumns, encodeSchema, estimateColumnBytes, isArrowTable, isRecordBatch, ownTable, schemaToJson } from '../../data/arrow.js'
import type { CompiledFilter } from '../../data/filter.js'
import { isRecords, recordsToTable, type Row } from '../../data/records.js'
import type { PartWriter } from '../../store/commit.js'
import { IO_CONCURRENCY, forEachLimit, limiter } from '../../store/pool.js'
import type { Artifacts, Handler, HandlerContext, StoredArtifacts } from '../handler.js'

/** Rows per stored record batch: larger input batches are sliced, so a batch is read in bounded memory. */
export const DEFAULT_BATCH_ROWS = 131_072

/** Narrow columns of a batch are packed into one part up to about this many bytes (1 MiB). */
export const PART_TARGET_BYTES = 1 << 20

/** At most this many columns share a part (bounds the per-part metadata that Arrow decodes). */
export const PART_MAX_COLUMNS = 4096

/** One stored record batch in a table's kindMeta. */
export type TableBatchMeta = {
  rows: number
  /**
   * First column of each part, ascending from 0: part k holds columns [groups[k], groups[k+1])
   * (the last one up to the last column). Absent: every column is a part of its own.
   */
  groups?: number[]
}

/**
 * What a table's kindMeta records. Batch i's part holding columns j..k is `b<i>.c<j>` when it
 * holds one column, else `b<i>.c<j>-<k>`. Format 1 (every table written before column groups,
 * and any table whose parts all hold one column): no batch has `groups`. Format 2: some batch has.
 */
export interface TableKindMeta extends JsonObject {
  format: 1 | 2
  rows: number
  columns: JsonObject[]
  batches: TableBatchMeta[]
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

/** Where one stored batch's columns are: which part holds a column, and each part's name and columns. */
class BatchLayout {
  constructor(
    readonly batch: number,
    readonly columns: number,
    readonly groups: readonly number[] | undefined,
  ) {}

  /** The part that holds column `column`. */
  partOf(column: number): number {
    const g = this.groups
    if (!g) return column
    let lo = 0
    let hi = g.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (g[mid]! <= column) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** The columns [from, to) of part `part`. */
  range(part: number): [number, number] {
    const g = this.groups
    if (!g) return [part, part + 1]
    return [g[part]!, part + 1 < g.length ? g[part + 1]! : this.columns]
  }

  get parts(): number {
    return this.groups ? this.groups.length : this.columns
  }

  name(part: number): string {
    const [from, to] = this.range(part)
    return to - from === 1 ? `b${this.batch}.c${from}` : `b${this.batch}.c${from}-${to - 1}`
  }
}

/**
 * Packs a batch's columns into parts, in order: a part takes the next column while it stays
 * within {@link PART_TARGET_BYTES} and {@link PART_MAX_COLUMNS} (and no dictionary id repeats), so
 * a column of 1 MiB or more is a part of its own and narrow neighbours share one. Returns the
 * first column of each part, or undefined when every column is a part of its own.
 */
function groupColumns(batch: RecordBatch, targetBytes: number, maxColumns: number): number[] | undefined {
  const starts: number[] = []
  const n = batch.numCols
  let bytes = 0
  let count = 0
  let ids = new Set<number>()
  for (let j = 0; j < n; j++) {
    const size = estimateColumnBytes(batch.data.children[j]!)
    const dictionaries = dictionaryIds(batch.schema.fields[j]!.type)
    if (count === 0 || bytes + size > targetBytes || count >= maxColumns || dictionaries.some((id) => ids.has(id))) {
      starts.push(j)
      bytes = 0
      count = 0
      ids = new Set()
    }
    bytes += size
    count++
    for (const id of dictionaries) ids.add(id)
  }
  return starts.length === n ? undefined : starts
}

/**
 * Kind `arrow.table`: an Arrow Table or RecordBatch, or an array of plain records. Stored per
 * record batch as parts of consecutive columns, each an Arrow IPC stream, plus the schema alone:
 * a column of 1 MiB or more is a part of its own, narrow neighbours share a part of up to about
 * 1 MiB (so width does not multiply files and requests). So reading some columns reads only the
 * parts that hold them, an append writes new batches without touching stored ones, and batches
 * are read one at a time.
 */
export class ArrowTableHandler implements Handler<Table> {
  readonly kind = 'arrow.table'
  readonly stores = ['datasets'] as const

  constructor(
    readonly batchRows: number = DEFAULT_BATCH_ROWS,
    readonly partBytes: number = PART_TARGET_BYTES,
    readonly partColumns: number = PART_MAX_COLUMNS,
  ) {}

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
    const metas: TableBatchMeta[] = []
    for (const [i, batch] of [...this.slices(table)].entries()) {
      const meta = this.#batchMeta(batch)
      const layout = new BatchLayout(i, table.numCols, meta.groups)
      for (let k = 0; k < layout.parts; k++) {
        const [from, to] = layout.range(k)
        parts[layout.name(k)] = lazy(() => encodeColumns(batch, from, to), context.signal)
      }
      metas.push(meta)
    }
    return { kindMeta: this.kindMeta(table.schema, metas), parts }
  }

  /** Writes `table`'s batches as parts numbered from `first`; returns their kindMeta entries. */
  async writeBatches(table: Table, write: PartWriter, first: number, signal?: AbortSignal): Promise<TableBatchMeta[]> {
    const out: TableBatchMeta[] = []
    for (const batch of this.slices(table)) {
      throwIfAborted(signal)
      const meta = this.#batchMeta(batch)
      const layout = new BatchLayout(first + out.length, table.numCols, meta.groups)
      const parts = Array.from({ length: layout.parts }, (_, k) => k)
      await forEachLimit(parts, IO_CONCURRENCY, async (k) => {
        const [from, to] = layout.range(k)
        await write(layout.name(k), encodeColumns(batch, from, to))
      })
      out.push(meta)
    }
    return out
  }

  #batchMeta(batch: RecordBatch): TableBatchMeta {
    const groups = groupColumns(batch, this.partBytes, this.partColumns)
    return groups ? { rows: batch.numRows, groups } : { rows: batch.numRows }
  }

  kindMeta(schema: Schema, batches: TableBatchMeta[]): TableKindMeta {
    const format = batches.some((b) => b.groups) ? 2 : 1
    return { format, rows: batches.reduce((n, b) => n + b.rows, 0), columns: schemaToJson(schema), batches }
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
    for await (const batch of this.#scan(stored, scan, true)) batches.push(batch)
    if (batches.length > 0) return new Table(batches)
    const schema = await this.schema(stored)
    const columns = scan.columns ?? schema.fields.map((f) => f.name)
    return new Table(selectSchema(schema, columns))
  }

  /**
   * Streams the stored batches that overlap the row range, reading only the parts that hold the
   * selected and filtered columns, one batch at a time (memory stays at one batch of those parts),
   * with at most {@link IO_CONCURRENCY} part reads in flight however wide the table.
   */
  async *scan(stored: StoredArtifacts, scan: TableScan): AsyncIterable<RecordBatch> {
    yield* this.#scan(stored, scan, false)
  }

  /**
   * {@link scan}; `whole`: the caller keeps every batch (`read`), so without a filter (which
   * drops the parts' bytes batch by batch) all parts are read at once into one buffer where the
   * store can (`bytesMany`): one allocation instead of one per part, as `readFile` does for one file.
   */
  async *#scan(stored: StoredArtifacts, scan: TableScan, whole: boolean): AsyncIterable<RecordBatch> {
    const meta = tableLayout(stored.kindMeta, stored.name)
    const names = meta.columns.map((c) => c.name as string)
    const selected = scan.columns ?? names
    const needed = [...new Set([...selected, ...(scan.filter?.columns ?? [])])]
    const start = scan.start ?? 0
    const end = scan.end ?? meta.rows
    // Every batch is built on one field per column (the first one read, with the stored
    // nullability), so batches read from separately encoded parts (whose nullability or dictionary
    // ids may differ) form one consistent Table. The stored schema is not read: for a wide table it
    // is larger than the parts of a few columns.
    const nullable = new Map(meta.columns.map((c) => [c.name as string, c.nullable !== false]))
    const canonical = new Map<string, Field>()
    // The batches to read, with their first row; the next batch's parts are fetched while the
    // current one is decoded, so storage reads overlap hashing and decoding.
    const wanted: { index: number; first: number; rows: number }[] = []
    let offset = 0
    for (let i = 0; i < meta.batches.length; i++) {
      const rows = meta.batches[i]!.rows
      if (offset + rows > start && offset < end) wanted.push({ index: i, first: offset, rows })
      offset += rows
    }
    const position = new Map(names.map((n, j) => [n, j]))
    const columns = needed.map((name) => position.get(name)!)
    // One limiter for the current batch and the prefetched next one: together they stay within the bound.
    const limit = limiter(IO_CONCURRENCY)
    const partsOf = (i: number): { layout: BatchLayout; parts: Map<number, number[]> } => {
      const layout = new BatchLayout(i, names.length, meta.batches[i]!.groups)
      // part → the needed columns it holds
      const parts = new Map<number, number[]>()
      for (const j of columns) {
        const k = layout.partOf(j)
        const list = parts.get(k)
        if (list) list.push(j)
        else parts.set(k, [j])
      }
      return { layout, parts }
    }
    let all: Promise<Map<string, Uint8Array>> | undefined
    if (whole && !scan.filter && stored.bytesMany && wanted.length > 0) {
      const partNames = wanted.flatMap(({ index }) => {
        const { layout, parts } = partsOf(index)
        return [...parts.keys()].map((k) => layout.name(k))
      })
      all = stored.bytesMany(partNames).then((bytes) => new Map(partNames.map((n, p) => [n, bytes[p]!])))
      all.catch(() => undefined) // rethrown where the first batch awaits it
    }
    const fetch = async (i: number): Promise<{ layout: BatchLayout; parts: Map<number, number[]>; bytes: Uint8Array[] }> => {
      const { layout, parts } = partsOf(i)
      const read = all && (await all)
      const bytes = await Promise.all([...parts.keys()].map((k) => read?.get(layout.name(k)) ?? limit(() => stored.bytes(layout.name(k)))))
      return { layout, parts, bytes }
    }
    let pending = wanted.length > 0 ? fetch(wanted[0]!.index) : undefined
    for (const [w, { index: i, first: batchStart, rows }] of wanted.entries()) {
      throwIfAborted(scan.signal)
      const { layout, parts, bytes } = await pending!
      pending = w + 1 < wanted.length ? fetch(wanted[w + 1]!.index) : undefined
      pending?.catch(() => undefined)
      const found = new Map<number, { field: Field; data: Data }>()
      ;[...parts].forEach(([k, wanted], p) => {
        const [from, to] = layout.range(k)
        const what = to - from === 1 ? `column "${names[from]}"` : `columns "${names[from]}" to "${names[to - 1]}"`
        const part = decodeColumns(bytes[p]!, to - from, rows, `${stored.name === undefined ? 'a stored table' : `stored table "${stored.name}"`}: part ${layout.name(k)} (${what}, batch ${i})`)
        for (const j of wanted) {
          const own = part.fields[j - from]!.name
          if (own !== names[j]) throw damaged(stored.name, `part ${layout.name(k)} holds column "${own}" where "${names[j]}" was recorded`)
        }
        // From a part shared with columns not asked for, copy the asked ones out: the result then
        // does not keep the whole part's bytes alive (reading one bool column of a tall table).
        const kept =
          wanted.length < to - from
            ? copyColumns(wanted.map((j) => part.fields[j - from]!), wanted.map((j) => part.data[j - from]!), rows)
            : { fields: wanted.map((j) => part.fields[j - from]!), data: wanted.map((j) => part.data[j - from]!) }
        wanted.forEach((j, w) => found.set(j, { field: kept.fields[w]!, data: kept.data[w]! }))
      })
      const fields = new Map<string, Field>()
      const data = new Map<string, Data>()
      needed.forEach((name, n) => {
        const { field: own, data: stored } = found.get(columns[n]!)!
        let field = canonical.get(name)
        if (!field) {
          field = own.nullable === nullable.get(name) ? own : own.clone({ nullable: nullable.get(name)! })
          canonical.set(name, field)
        }
        fields.set(name, field)
        data.set(name, stored.type === field.type ? stored : stored.clone(field.type))
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
  const columns = meta.columns.length
  const groupsOk = (g: unknown): boolean =>
    g === undefined || (Array.isArray(g) && g[0] === 0 && g.every((v, k) => Number.isSafeInteger(v) && v < columns && (k === 0 || v > g[k - 1])))
  const bad = meta.batches.findIndex((b) => !groupsOk(b.groups))
  if (bad >= 0) throw damaged(name, `the column groups of batch ${bad} are not ascending column numbers from 0`)
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
