import { randomUUID } from 'node:crypto'
import { RecordBatch, Table, Utf8, tableFromIPC, vectorFromArray } from 'apache-arrow'
import { OmegaError, errors, isArrowTable, parseName, type JsonValue, type Omega } from '@omega/core'
import type { CaptureStats, EventLog } from './event-log.js'
import { selectRows, takeRows, type EventQuery } from './event-query.js'
import { EVENT_COLUMNS, type EventName } from './event-schema.js'
import { Run, makeRow, type LogMetricOptions } from './run.js'
import { summarize, type ExperimentSummary } from './summary.js'

/** Options of `exp.track(model)`. */
export interface TrackOptions {
  /** Also log the X each call got and the Y it returned (`restoreData`). @default false */
  readonly capture?: boolean
}

/** What an experiment needs from the {@link Tracking} that owns it. */
export interface ExperimentHost {
  readonly om: Omega
  log(experiment: string): EventLog
  track(model: string, experiment: string, options: TrackOptions): void
  untrack(model: string, experiment: string): void
}

const DATA_COLUMNS = EVENT_COLUMNS.map(([n]) => n).filter((n) => n !== 'X' && n !== 'Y')

/**
 * An experiment (SPEC §9): runs numbered 1, 2, 3 … whose events are appended in batches to the
 * hidden dataset `.experiments/<name>`. Created on first use; reading one never written is E_NOT_FOUND.
 */
export class Experiment {
  #current: Run | undefined
  #implicit: Run | undefined

  constructor(
    readonly name: string,
    readonly host: ExperimentHost,
  ) {}

  /** The dataset holding the events. */
  get dataset(): string {
    return `.experiments/${this.name}`
  }

  /** The run started by `start()` or `run()` and not stopped yet. */
  get current(): Run | undefined {
    return this.#current
  }

  /** Runs `fn` in a new run: start and stop are logged (stop with `{ status: 'failed', error }` if `fn` throws). */
  async run<T>(fn: (run: Run) => T | Promise<T>): Promise<T> {
    const run = await this.start()
    try {
      const value = await fn(run)
      await this.stop()
      return value
    } catch (err) {
      await this.stop({ status: 'failed', error: (err as Error)?.message ?? String(err) })
      throw err
    }
  }

  /** Starts a run (numbered after every run any process started before) and makes it current. */
  async start(): Promise<Run> {
    if (this.#current) await this.stop()
    const run = new Run(this.host.om, this.name, await this.#nextRunNumber(), this.host.log(this.name))
    run.event('start', null, null, { pid: process.pid })
    this.#current = run
    return run
  }

  /** Stops the current run (logs `stop`) and flushes its events. */
  async stop(info: { status?: string; error?: string } = {}): Promise<void> {
    const run = this.#current
    if (!run) return
    run.event('stop', null, null, { status: info.status ?? 'ok', ...(info.error !== undefined && { error: info.error }) })
    run.markStopped()
    this.#current = undefined
    await this.flush()
  }

  /** Logs a metric in the current run. @throws {OmegaError} E_INVALID_ARGUMENT with no run started */
  logMetric(key: string, value: number, options?: LogMetricOptions): void {
    this.#active().logMetric(key, value, options)
  }

  /** Logs a parameter in the current run. */
  logParam(key: string, value: JsonValue): void {
    this.#active().logParam(key, value)
  }

  /** Logs an event in the current run. */
  logEvent(event: EventName, key?: string | null, value?: JsonValue): void {
    this.#active().logEvent(event, key ?? null, value)
  }

  /** Logs node version, platform and package versions in the current run. */
  logSystem(packages?: Readonly<Record<string, string>>): void {
    this.#active().logSystem(packages)
  }

  /** Stores an artifact in the current run (see {@link Run.logArtifact}). */
  async logArtifact(obj: unknown, name: string): Promise<unknown> {
    return await this.#active().logArtifact(obj, name)
  }

  /**
   * Tracks a model in this process: every runtime call on it logs `task_call` and
   * `task_success`/`task_failure` (with the duration), and with `capture` an event named after
   * the operation (`predict` …) holding X and Y. Calls go to the current run, or to a run this
   * process starts for them. To track in every process, put the model with
   * `attributes: { tracking: { experiment, capture } }`.
   */
  async track(model: string, options: TrackOptions = {}): Promise<void> {
    if (typeof model !== 'string' || model === '') throw errors.invalidArgument('exp.track(model) needs a model name')
    this.host.track(parseName(model).name, this.name, options)
  }

  /** Stops tracking `model` in this process. */
  async untrack(model: string): Promise<void> {
    this.host.untrack(parseName(model).name, this.name)
  }

  /** Writes buffered events now. */
  async flush(): Promise<void> {
    await this.host.log(this.name).flush()
  }

  /** Events written and lost (failed writes) by this process. */
  get captureStats(): CaptureStats {
    return { ...this.host.log(this.name).stats }
  }

  /**
   * Events as an Arrow table sorted by `dt`, columns `experiment run step event key value json dt
   * node user` (`value`: numbers; `json`: any other value as JSON text). Default: the latest run.
   *
   * @throws {OmegaError} E_NOT_FOUND if nothing was logged to this experiment
   */
  async data(query: EventQuery = {}): Promise<Table> {
    const table = await this.#events()
    return takeRows(table, selectRows(table, query), DATA_COLUMNS)
  }

  /** Counts per event, metrics (min/mean/max/last) per run, and latency percentiles of tracked calls, over all runs. */
  async summary(): Promise<ExperimentSummary> {
    return summarize(await this.data({ run: '*' }))
  }

  /**
   * The captured inputs (`'X'`) or predictions (`'Y'`) of tracked calls as one table, in call
   * order: inline data as it was given, data given by name read back at the version the call read.
   *
   * @throws {OmegaError} E_NOT_FOUND if nothing was logged; E_DATA_SHAPE if the captures differ in columns
   */
  async restoreData(what: 'X' | 'Y', query: EventQuery = {}): Promise<Table> {
    if (what !== 'X' && what !== 'Y') throw errors.invalidArgument(`restoreData takes 'X' or 'Y', got ${JSON.stringify(what)}`)
    const table = await this.#events()
    const rows = selectRows(table, { event: 'predict', ...query })
    const bytes = table.getChild(what)!
    const json = table.getChild('json')!
    const parts: Table[] = []
    for (const i of rows) {
      const b = bytes.get(i) as Uint8Array | null
      if (b) parts.push(tableFromIPC(b))
      else {
        const ref = (JSON.parse((json.get(i) as string | null) ?? '{}') as Record<string, { name?: string; version?: number } | undefined>)[what]
        if (ref?.name) parts.push(await this.#readRef(ref.name, ref.version))
      }
    }
    if (parts.length === 0) return new Table()
    return concatTables(parts)
  }

  /** The run tracked calls and monitors log to: the current one, else one this process starts on first use. @internal */
  runForTracking(): Run {
    if (this.#current) return this.#current
    if (!this.#implicit) {
      const number = this.#nextRunNumber()
      this.#implicit = new Run(this.host.om, this.name, number, this.host.log(this.name))
      this.host.log(this.name).push(makeRow(this.name, number, 'start', null, null, { pid: process.pid, implicit: true }))
      number.catch(() => undefined)
    }
    return this.#implicit
  }

  /** Stops the run tracked calls started (at close). @internal */
  stopImplicit(): void {
    const run = this.#implicit
    if (!run) return
    run.event('stop', null, null, { status: 'ok', implicit: true })
    run.markStopped()
    this.#implicit = undefined
  }

  #active(): Run {
    if (!this.#current) throw errors.invalidArgument(`experiment "${this.name}" has no active run; start one with exp.start() or exp.run(async (run) => …)`)
    return this.#current
  }

  /**
   * The next run number, allocated by appending one row to `.experiments/<name>/.runs`: appends
   * are compare-and-set versioned, so the row count after our append is our run number in every process.
   */
  async #nextRunNumber(): Promise<number> {
    const table = new Table({ token: vectorFromArray([randomUUID()], new Utf8()) })
    const meta = await this.host.om.datasets.put(table, `${this.dataset}/.runs`, { append: true, keep: 2 })
    return meta.kindMeta.rows as number
  }

  async #events(): Promise<Table> {
    await this.flush()
    const meta = await this.host.om.datasets.metadata(this.dataset)
    if (!meta) throw errors.notFound('experiment', this.name, this.host.om.bucketName, 'log to it first (exp.run(fn), exp.track(model))')
    const table = await this.host.om.datasets.get(this.dataset)
    if (!isArrowTable(table)) throw new OmegaError('E_DATA_SHAPE', `"${this.dataset}" is not an experiment event table`)
    return table
  }

  async #readRef(name: string, version: number | undefined): Promise<Table> {
    // The version the call read, with the same column and row selection.
    const cut = [...name].findIndex((c) => c === '[' || c === '#')
    const ref = version === undefined ? name : `${parseName(name).name}@${version}${cut < 0 ? '' : name.slice(cut)}`
    const value = await this.host.om.datasets.get(ref)
    if (!isArrowTable(value)) throw errors.dataShape(`captured input "${name}" is not a table`)
    return value
  }
}

/** Tables of the same columns as one (E_DATA_SHAPE naming the difference otherwise). */
export function concatTables(parts: readonly Table[]): Table {
  const first = parts[0]!
  const describe = (t: Table): string => t.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(', ')
  const names = describe(first)
  for (const t of parts) {
    const other = describe(t)
    if (other !== names) throw errors.dataShape(`captured data differ in columns: [${names}] and [${other}]; restore one model's calls at a time (key: the model name)`)
  }
  return new Table(first.schema, parts.flatMap((t) => t.batches.map((b) => new RecordBatch(first.schema, b.data))))
}
