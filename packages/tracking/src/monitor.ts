import { Table as TableClass, type Table } from 'apache-arrow'
import { errors, isArrowTable, isRecords, recordsToTable, type JsonObject, type Omega } from '@omega/core'
import { compareTables, type DriftReport, type DriftThresholds } from './drift.js'
import type { EventQuery } from './event-query.js'
import type { Experiment } from './experiment.js'
import { columnStats, columnValues, type ColumnStats } from './stats/column-stats.js'

/** Data a monitor reads: a dataset name (selectors allowed), `'recent'` (captured X of the model), `'fit'` (the model's fit X), a table or records. */
export type MonitorData = string | Table | readonly Record<string, unknown>[]

/** What a monitor watches. */
export interface MonitorOptions {
  /** The experiment that tracks the model (model monitors), or where a dataset monitor logs (default `monitor/<dataset>`). */
  readonly experiment?: string
  readonly thresholds?: DriftThresholds
}

/** Options of `compare` and `capture`. */
export interface CompareOptions {
  /** @default model monitors: `'fit'`; dataset monitors: `'<dataset>@1'` */
  readonly baseline?: MonitorData
  /** @default model monitors: `'recent'`; dataset monitors: the latest version */
  readonly target?: MonitorData
  /** Columns to compare (default: all of the baseline's). */
  readonly columns?: readonly string[]
  readonly thresholds?: DriftThresholds
  /** Which captured calls `'recent'` means. @default `{ run: '*' }` */
  readonly recent?: EventQuery
}

/** A snapshot: statistics per column (per group with `groupBy`). */
export interface Snapshot {
  readonly rows: number
  readonly columns: Record<string, ColumnStats>
  readonly groups?: Record<string, Record<string, ColumnStats>>
}

/**
 * Drift monitoring (SPEC §9) of a model's captured inputs against its fit data, or of a dataset.
 * `snapshot` logs per-column statistics, `compare` tests each column, `capture` compares and logs a
 * `drift` event (alert rules fire on it).
 */
export class Monitor {
  constructor(
    readonly om: Omega,
    readonly experiment: Experiment,
    readonly target: { readonly model?: string; readonly dataset?: string },
    readonly options: MonitorOptions = {},
  ) {}

  /** Statistics per column (count, missing, mean, std, quantiles, histogram; value counts for categories), logged as a `snapshot` event. */
  async snapshot(data: MonitorData, options: { columns?: readonly string[]; groupBy?: string } = {}): Promise<Snapshot> {
    const table = await this.#read(data)
    const names = options.columns ?? table.schema.fields.map((f) => f.name)
    const stats = (t: Table): Record<string, ColumnStats> => Object.fromEntries(names.map((n) => [n, columnStats(columnValues(t, n))]))
    const perGroup = names.filter((n) => n !== options.groupBy)
    let groups: Snapshot['groups']
    if (options.groupBy !== undefined) {
      const byKey = new Map<string, number[]>()
      const col = table.getChild(options.groupBy)
      if (!col) throw errors.dataShape(`no column "${options.groupBy}" to group by`)
      for (let i = 0; i < table.numRows; i++) {
        const k = String(col.get(i))
        ;(byKey.get(k) ?? byKey.set(k, []).get(k)!).push(i)
      }
      groups = {}
      for (const [k, rows] of byKey) groups[k] = Object.fromEntries(perGroup.map((n) => [n, columnStats(columnValues(subset(table, n, rows), n))]))
    }
    const snapshot: Snapshot = { rows: table.numRows, columns: stats(table), ...(groups && { groups }) }
    this.experiment.runForTracking().event('snapshot', this.#subject(), table.numRows, { source: describe(data), ...(snapshot as unknown as JsonObject) })
    return snapshot
  }

  /**
   * Compares target with baseline column by column (see {@link compareTables}).
   *
   * @throws {OmegaError} E_DATA_SHAPE for columns of different types or missing; E_NOT_FOUND for unknown data or experiment
   */
  async compare(options: CompareOptions = {}): Promise<DriftReport> {
    const baseline = await this.#read(options.baseline ?? (this.target.model !== undefined ? 'fit' : `${this.target.dataset}@1`))
    const target = await this.#read(options.target ?? (this.target.model !== undefined ? 'recent' : this.target.dataset!), options.recent)
    return compareTables(baseline, target, options.columns, { ...this.options.thresholds, ...options.thresholds })
  }

  /** Compares and logs a `drift` event (value 1 if drifted, else 0; the report as JSON). */
  async capture(options: CompareOptions = {}): Promise<DriftReport> {
    const report = await this.compare(options)
    this.experiment.runForTracking().event('drift', this.#subject(), report.drift ? 1 : 0, JSON.parse(JSON.stringify(report)) as JsonObject)
    await this.experiment.flush()
    return report
  }

  #subject(): string {
    return this.target.model ?? this.target.dataset!
  }

  async #read(data: MonitorData, recent?: EventQuery): Promise<Table> {
    if (isArrowTable(data)) return data
    if (Array.isArray(data) && data.length === 0) return new TableClass()
    if (isRecords(data)) return recordsToTable(data as never)
    if (typeof data !== 'string') throw errors.invalidArgument('monitor data must be a dataset name, "recent", "fit", a table or records')
    if (data === 'recent') {
      if (this.target.model === undefined) throw errors.invalidArgument('"recent" means the captured inputs of a model; use om.monitor(model, { experiment })')
      return await this.experiment.restoreData('X', { run: '*', ...recent, event: 'predict', key: this.target.model })
    }
    if (data === 'fit') {
      const meta = await this.om.models.metadata(this.target.model ?? '')
      if (!meta) throw errors.notFound('model', this.target.model ?? '', this.om.bucketName, 'put and fit it first')
      const fit = meta.attributes.dataset as { Xname?: string; Xversion?: number } | undefined
      if (!fit?.Xname) throw errors.invalidArgument(`"${meta.name}@${meta.version}" records no fit on a stored dataset; pass baseline explicitly`)
      return await this.#read(atVersion(fit.Xname, fit.Xversion))
    }
    const value = await this.om.datasets.get(data)
    if (!isArrowTable(value)) throw errors.invalidArgument(`dataset "${data}" is not a table`)
    return value
  }
}

function atVersion(name: string, version: number | undefined): string {
  if (version === undefined || name.includes('@')) return name
  const cut = [...name].findIndex((c) => c === '[' || c === '#')
  return cut < 0 ? `${name}@${version}` : `${name.slice(0, cut)}@${version}${name.slice(cut)}`
}

function describe(data: MonitorData): string {
  return typeof data === 'string' ? data : 'inline'
}

function subset(table: Table, column: string, rows: readonly number[]): Table {
  const col = table.getChild(column)!
  const values = rows.map((i) => col.get(i))
  return recordsToTable(values.map((v) => ({ [column]: v })) as never)
}
