import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { Table, type RecordBatch, type Schema } from 'apache-arrow'
import { OmegaError, errors, throwIfAborted } from '../errors.js'
import type { JsonObject, JsonValue } from '../json.js'
import type { Tensor } from '../data/tensor.js'
import { encodeSchema, schemaDifferences } from '../data/arrow.js'
import { checkColumns, selectColumns } from '../data/column-selection.js'
import { csvTables, type CsvProgress, type ReadCsvOptions } from '../data/csv.js'
import { openCsv, writeCsvFile } from '../data/csv-files.js'
import { compileFilter, type Filter } from '../data/filter.js'
import { ArrowTableHandler, tableLayout, type TableBatchMeta, type TableKindMeta, type TableScan } from '../handler/builtin/arrow-table-handler.js'
import { parseName, type ParsedName } from '../names/name-grammar.js'
import { validateName } from '../names/validate-name.js'
import { commitWith, describeParts, storedArtifacts, type PartWriter } from './commit.js'
import type { Metadata, MetadataDoc } from './metadata.js'
import type { GetOptions } from './object-store.js'
import { VersionedStore, keepAttributes, type VersionDoc, type VersionedPutOptions } from './versioned-store.js'
import { CAS_RETRIES, backoff } from './store-context.js'

/** Options of `om.datasets.put`. */
export interface DatasetPutOptions extends VersionedPutOptions {
  /** Tables: add the rows as new record batches instead of replacing (the schema must match). */
  readonly append?: boolean
  /**
   * Appending records: a record that lacks some of the stored table's columns gets nulls there.
   * Without it such a record is E_DATA_SHAPE naming the missing columns, and nothing is appended.
   * @default false
   */
  readonly fillMissing?: boolean
}

/** Options of `om.datasets.get` and `iter`. */
export interface DatasetGetOptions extends GetOptions {
  /** Keep only rows that match (tables only), evaluated batch by batch. */
  readonly filter?: Filter
  /** Columns to return (in addition to a `[…]` selector, which wins). */
  readonly columns?: readonly string[]
}

/** Options of `readCsv`. */
export interface DatasetReadCsvOptions extends ReadCsvOptions {
  readonly append?: boolean
  readonly attributes?: JsonObject
  /** Retention, as for `put`: keep the newest N versions (and tagged ones). */
  readonly keep?: number
}

/** Options of `writeCsv`. */
export interface WriteCsvOptions {
  readonly onProgress?: (progress: CsvProgress) => void
  readonly signal?: AbortSignal
}

/**
 * What `om.datasets.get` returns, by dataset kind: an Arrow `Table` (`arrow.table`), a `Tensor`
 * (`ndarray`), bytes (`file`; a `Buffer` if a `Buffer` was stored) or the JSON value (`json`). A
 * plugin whose handler serves the datasets store adds its kind by module augmentation, so that
 * {@link DatasetValue} includes it:
 *
 * ```ts
 * declare module '@omega/core' {
 *   interface DatasetTypes { 'geo.frame': GeoFrame }
 * }
 * ```
 */
export interface DatasetTypes {
  'arrow.table': Table
  ndarray: Tensor
  file: Uint8Array
  json: JsonValue
}

/**
 * Any value `om.datasets.get` may return (the union of {@link DatasetTypes}). Narrow it with
 * `isArrowTable(v)`, `isTensor(v)`, `v instanceof Uint8Array` or `isJsonValue(v)`, or name the
 * type you stored: `om.datasets.get<Tensor>('weights')`.
 */
export type DatasetValue = DatasetTypes[keyof DatasetTypes]

/**
 * A dataset name with a column selector (`name[a,b]`, `name[^y]`) or an operation
 * (`name#rows:start=A,end=B`): only tables take these, so `get` returns a `Table` (or throws).
 */
export type TableSelector = `${string}[${string}]${string}` | `${string}#${string}`

/** Options of `om.datasets.get` that only tables take: with a `filter` or `columns`, `get` returns a `Table` (or throws). */
export type TableGetOptions = DatasetGetOptions & ({ readonly filter: Filter } | { readonly columns: readonly string[] })

/**
 * `om.datasets`: tables (Arrow), tensors, files and JSON (SPEC §3). Tables support column
 * selectors (`name[a,b]`, `name[^y]`), row ranges (`name#rows:start=A,end=B`), filters, chunked
 * iteration (`name#iterchunks:chunksize=N`), appends and streaming CSV import and export.
 */
export class DatasetStore extends VersionedStore {
  protected readonly noun = 'dataset'

  /**
   * Stores a dataset as a new version (1, 2, 3 … per name, for every kind: tables, tensors, files
   * and JSON). With `append: true`, an Arrow table or records are added as new record batches to
   * the latest version and the result is the next version, which shares every earlier part (cost:
   * the new rows). A schema mismatch is E_DATA_SHAPE listing the differences (no version is created).
   *
   * @throws {OmegaError} E_DATA_SHAPE; E_INVALID_ARGUMENT for `keep` that is not a positive integer, or an append whose latest version was dropped
   */
  override async put(value: unknown, name: string, options: DatasetPutOptions = {}): Promise<Metadata> {
    if (!options.append) return await super.put(value, name, options)
    validateName(name)
    const attributes = keepAttributes(options)
    const handler = this.#tables()
    if (!handler.supports(value)) throw errors.invalidArgument(`append needs an Arrow table, a RecordBatch or records (got ${typeof value})`)
    return await this.#appendVersion(name, options, async (base, write) => {
      if (!base) {
        const table = handler.toTable(value, undefined, { fillMissing: false })
        await write('schema', encodeSchema(table.schema))
        return { schema: table.schema, batches: await handler.writeBatches(table, write, 0, options.signal) }
      }
      const schema = await this.#schemaOf(base)
      const table = handler.toTable(value, schema, { fillMissing: options.fillMissing === true })
      this.#checkSchema(schema, table, name)
      return { schema, batches: await handler.writeBatches(table, write, (base.kindMeta as TableKindMeta).batches.length, options.signal) }
    }, attributes)
  }

  /**
   * Returns the dataset: a Table (with selectors, row range and filter applied), a Tensor, bytes
   * or the JSON value.
   *
   * The result type follows the call: a name with a selector or `#operation`, or options with a
   * `filter` or `columns`, give a `Table` (any other kind of dataset is E_INVALID_ARGUMENT);
   * otherwise it is a {@link DatasetValue}, which you narrow, or name the type you stored
   * (`get<Table>('iris')`; not checked at run time).
   *
   * @typeParam T - the type of the dataset stored under the name (default: any {@link DatasetValue})
   * @throws {OmegaError} E_NOT_FOUND; E_INVALID_ARGUMENT for a missing column or a selector on a non-table
   */
  override async get(name: TableSelector, options?: DatasetGetOptions): Promise<Table>
  override async get(name: string, options: TableGetOptions): Promise<Table>
  override async get<T extends DatasetValue = DatasetValue>(name: string, options?: DatasetGetOptions): Promise<T>
  override async get(name: string, options: DatasetGetOptions = {}): Promise<DatasetValue> {
    return (await super.get(name, options)) as DatasetValue
  }

  /**
   * Iterates a table batch by batch with flat memory: stored batches as they are, or tables of
   * exactly N rows with `name#iterchunks:chunksize=N` (the last one shorter), within
   * `#rows:start=A,end=B` if given.
   */
  async *iter(name: string, options: DatasetGetOptions = {}): AsyncIterable<Table> {
    const parsed = parseName(name)
    const meta = await this.resolve(parsed)
    if (!meta) throw this.notFound(parsed)
    const { scan, chunkSize } = await this.#query(meta, parsed, options)
    const batches = this.#tables().scan(storedArtifacts(this.ctx.backend, meta, options.signal), scan)
    if (chunkSize === undefined) {
      for await (const batch of batches) yield new Table([batch])
      return
    }
    let pending: RecordBatch[] = []
    let count = 0
    for await (const batch of batches) {
      let rest = batch
      while (rest.numRows > 0) {
        const take = Math.min(chunkSize - count, rest.numRows)
        pending.push(take === rest.numRows ? rest : rest.slice(0, take))
        count += take
        rest = take === rest.numRows ? rest.slice(0, 0) : rest.slice(take)
        if (count === chunkSize) {
          yield new Table(pending)
          pending = []
          count = 0
        }
      }
    }
    if (count > 0) yield new Table(pending)
  }

  /** Streams a `file` dataset without loading it whole. */
  async open(name: string, options: GetOptions = {}): Promise<Readable> {
    const parsed = parseName(name)
    const meta = await this.resolve(parsed)
    if (!meta) throw this.notFound(parsed)
    if (meta.kind !== 'file') throw errors.invalidArgument(`open() streams file datasets; "${name}" is ${meta.kind} (use get)`, { name, kind: meta.kind })
    return Readable.from(storedArtifacts(this.ctx.backend, meta, options.signal).stream('data'))
  }

  /**
   * Streams a CSV file (or stream) into a table in record batches of `chunkSize` rows, inferring
   * column types from the first chunk. A malformed row fails with its line number and nothing is
   * stored.
   */
  async readCsv(source: string | Readable, name: string, options: DatasetReadCsvOptions = {}): Promise<Metadata> {
    validateName(name)
    throwIfAborted(options.signal)
    const input = typeof source === 'string' ? await openCsv(source) : source
    try {
      return await this.#readCsv(input, name, options)
    } finally {
      // A file we opened is closed also when the import fails half-way (the stream closes itself only at its end).
      if (typeof source === 'string') input.destroy()
    }
  }

  async #readCsv(input: Readable, name: string, options: DatasetReadCsvOptions): Promise<Metadata> {
    const handler = this.#tables()
    return await this.#appendVersion(name, { ...options, append: options.append === true }, async (base, write) => {
      let schema = base && (await this.#schemaOf(base))
      const first = base ? (base.kindMeta as TableKindMeta).batches.length : 0
      const batches: TableBatchMeta[] = []
      for await (const table of csvTables(input, options)) {
        if (schema) this.#checkSchema(schema, table, name)
        else await write('schema', encodeSchema((schema = table.schema)))
        batches.push(...(await handler.writeBatches(table, write, first + batches.length, options.signal)))
      }
      if (!schema) throw errors.dataShape(`CSV for "${name}" has no rows or header; nothing was stored`, { name })
      return { schema, batches }
    }, keepAttributes(options), false)
  }

  /** Writes a table dataset (selectors and filters allowed) to a CSV file, atomically. */
  async writeCsv(name: string, path: string, options: WriteCsvOptions & DatasetGetOptions = {}): Promise<CsvProgress> {
    return await writeCsvFile(this.iter(name, options), path, options.onProgress)
  }

  protected override async load(meta: MetadataDoc, parsed: ParsedName, options: DatasetGetOptions): Promise<unknown> {
    const wantsTable = parsed.columns || parsed.operation || options.filter || options.columns
    if (meta.kind !== 'arrow.table') {
      if (wantsTable) {
        throw errors.invalidArgument(`"${parsed.raw}" is a ${meta.kind} dataset; column selectors, filters and #operations apply to tables`, { name: meta.name, kind: meta.kind })
      }
      return await super.load(meta, parsed, options)
    }
    const { scan, chunkSize } = await this.#query(meta, parsed, options)
    if (chunkSize !== undefined) throw errors.invalidArgument(`"${parsed.raw}": #iterchunks yields chunks; use om.datasets.iter(name)`)
    return await this.#tables().read(storedArtifacts(this.ctx.backend, meta, options.signal), scan)
  }

  async #query(meta: MetadataDoc, parsed: ParsedName, options: DatasetGetOptions): Promise<{ scan: TableScan; chunkSize?: number }> {
    const layout = tableLayout(this.#tableDoc(meta, parsed.raw).kindMeta, meta.name)
    const names = layout.columns.map((c) => c.name as string)
    const rows = layout.rows
    let columns: string[] | undefined
    if (parsed.columns) columns = selectColumns(parsed.columns, names, meta.name)
    else if (options.columns) columns = checkColumns(options.columns, names, meta.name)
    const scan: { -readonly [K in keyof TableScan]: TableScan[K] } = {}
    if (columns) scan.columns = columns
    if (options.filter) scan.filter = compileFilter(options.filter, names, meta.name)
    if (options.signal) scan.signal = options.signal
    let chunkSize: number | undefined
    const op = parsed.operation
    if (op) {
      const int = (key: string, fallback?: number): number => {
        const raw = op.args[key]
        if (raw === undefined && fallback !== undefined) return fallback
        const n = Number(raw)
        if (raw === undefined || !Number.isInteger(n) || n < 0) {
          throw errors.invalidArgument(`"${parsed.raw}": #${op.op} needs ${key}= a non-negative integer`, { op: op.op, [key]: raw ?? null })
        }
        return n
      }
      if (op.op === 'iterchunks') {
        chunkSize = int('chunksize')
        if (chunkSize === 0) throw errors.invalidArgument(`"${parsed.raw}": chunksize must be at least 1`)
        if (op.args.start !== undefined || op.args.end !== undefined) {
          scan.start = int('start', 0)
          scan.end = Math.min(rows, int('end', rows))
        }
      } else if (op.op === 'rows') {
        scan.start = int('start', 0)
        scan.end = Math.min(rows, int('end', rows))
        if (scan.start > scan.end) throw errors.invalidArgument(`"${parsed.raw}": start is after end`)
      } else {
        throw errors.invalidArgument(`"${parsed.raw}": unknown operation #${op.op}; use #iterchunks:chunksize=N or #rows:start=A,end=B`)
      }
    }
    return chunkSize === undefined ? { scan } : { scan, chunkSize }
  }

  /**
   * Publishes a table version built on the latest one (`append`), or from scratch: `produce` writes
   * the new batches (and, from scratch, the schema). An append's version is a delta: its document
   * lists only the new batches and parts and refers to its base (version-chain.ts), so it costs
   * O(new rows) in time and bytes. The base is held before the new version is published, so a
   * concurrent drop of the base either sees this append or makes it fail with nothing published.
   * An append that loses the next version number runs again on the new latest version, so no rows
   * are lost (a CSV import, whose input cannot be replayed, is E_CONFLICT instead).
   */
  async #appendVersion(
    name: string,
    options: { readonly append?: boolean; readonly signal?: AbortSignal; readonly tag?: string },
    produce: (base: MetadataDoc | undefined, write: PartWriter) => Promise<{ schema: Schema; batches: TableBatchMeta[] }>,
    attributes: JsonObject | undefined, retry = true,
  ): Promise<Metadata> {
    const handler = this.#tables()
    for (let attempt = 0; ; attempt++) {
      const head = await this.head(name)
      if (options.append && head.newest > (head.latest?.version ?? 0)) {
        throw errors.invalidArgument(
          `cannot append to "${name}": its latest version ${head.newest} was dropped; put the full table as a new version (e.g. from "${name}@${head.latest?.version ?? 'N'}") and append to that`,
          { name, dropped: head.newest },
        )
      }
      if (options.append && head.latest) this.#tableDoc(head.latest, name)
      const base = options.append && head.latest ? await this.materialize(head.latest) : undefined
      const holder = randomUUID()
      let published: VersionDoc | undefined
      try {
        if (base) await this.holdBase(base, holder)
        let produced: { schema: Schema; batches: TableBatchMeta[] } | undefined
        published = await commitWith(
          this.ctx.backend,
          options.signal,
          async (write) => {
            produced = await produce(base, write)
          },
          async (written) => {
            const own = handler.kindMeta(produced!.schema, produced!.batches)
            const publish = { attributes, head, signal: options.signal, exact: options.append === true }
            if (!base) return await this.publishVersion(name, handler.kind, own, written, publish)
            const prior = base.kindMeta as TableKindMeta
            const whole = describeParts({ ...base.parts, ...written.parts })
            // Only what is new, plus the totals a reader checks the materialised chain against.
            const delta: JsonObject = { format: Math.max(prior.format ?? 1, own.format ?? 1), rows: prior.rows + own.rows, batches: own.batches }
            const extra: JsonObject = { size: whole.size, sha256: whole.sha256, base: { version: base.version!, sha256: base.sha256, holder } }
            return await this.publishVersion(name, handler.kind, delta, written, { ...publish, extra })
          },
        )
      } catch (err) {
        if (base) await this.releaseBase(base as VersionDoc, holder)
        if (!retry || !OmegaError.is(err, 'E_CONFLICT') || attempt >= CAS_RETRIES) throw err
        await backoff(attempt)
        continue
      }
      const full = base ? this.combine(base as VersionDoc, [published]) : published
      if (base) {
        this.remember(full)
        this.#schemas.set(full, await this.#schemaOf(base))
      }
      return await this.afterPublish(full, options.tag)
    }
  }

  /**
   * The Arrow schema of a stored table version. Remembered per materialised version (the chain
   * cache keeps them, and a new append's is its base's), so a run of appends reads the schema part once.
   */
  async #schemaOf(meta: MetadataDoc): Promise<Schema> {
    let schema = this.#schemas.get(meta)
    if (!schema) this.#schemas.set(meta, (schema = await this.#tables().schema(storedArtifacts(this.ctx.backend, meta))))
    return schema
  }

  readonly #schemas = new WeakMap<object, Schema>()

  protected override canBeBase(doc: JsonObject): boolean {
    return doc.kind === 'arrow.table'
  }

  /** Table deltas on their materialised base: the batches and parts of all, the base's columns. */
  protected override combine(base: VersionDoc, deltas: readonly VersionDoc[]): VersionDoc {
    const prior = base.kindMeta as TableKindMeta
    const batches = [...prior.batches]
    let format = prior.format ?? 1
    for (const d of deltas) {
      const own = d.kindMeta as Partial<TableKindMeta>
      if (Array.isArray(own.batches)) for (const b of own.batches) batches.push(b)
      format = Math.max(format, own.format ?? 1) as 1 | 2
    }
    const last = deltas.at(-1)!
    const { base: _base, ...rest } = last as VersionDoc & { base?: unknown }
    const kindMeta: TableKindMeta = { format, rows: (last.kindMeta as Partial<TableKindMeta>).rows as number, columns: prior.columns, batches }
    return { ...rest, kindMeta, parts: Object.assign({}, base.parts, ...deltas.map((d) => d.parts)) as VersionDoc['parts'] }
  }

  #checkSchema(schema: Schema, table: Table, name: string): void {
    const diffs = schemaDifferences(schema, table.schema)
    if (diffs.length > 0) throw errors.dataShape(`cannot append to "${name}": ${diffs.join('; ')}; nothing was appended`, { name, differences: diffs })
  }

  #tableDoc(meta: MetadataDoc, name: string): MetadataDoc {
    if (meta.kind !== 'arrow.table') {
      throw errors.invalidArgument(`"${name}" is a ${meta.kind} dataset; this needs a table (arrow.table)`, { name, kind: meta.kind })
    }
    return meta
  }

  #tables(): ArrowTableHandler {
    const handler = this.ctx.handlers.get('arrow.table')
    if (!(handler instanceof ArrowTableHandler)) throw errors.unsupported('the arrow.table handler is not registered')
    return handler
  }
}
