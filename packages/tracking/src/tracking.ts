import { errors, parseName, validateName, type CallObserver, type CallWatch, type JsonObject, type ObservedCall, type Omega, type TaskResult } from '@omega/core'
import { captureInput, captureResult, describeCapture, type Captured } from './capture.js'
import { EventLog, type CaptureStats } from './event-log.js'
import { Experiment, type TrackOptions } from './experiment.js'
import { makeRow } from './run.js'
import { Monitor, type MonitorOptions } from './monitor.js'
import type { EventRow } from './event-schema.js'
import { checkAlertRule, runAlertScript, type AlertAction, type AlertEvent, type AlertRule, type AlertScriptAction } from './alert-rules.js'

/** {@link Tracking.stats}: capture counts over all experiments, and alert actions that failed. */
export interface TrackingStats extends CaptureStats {
  /** Alert actions that threw, timed out, were not registered or named a missing script. */
  alertFailures: number
  /** The message of the last alert failure. */
  lastAlertError?: string
}

/** Buffer settings of event logs. */
export interface TrackingOptions {
  /** Flush buffered events at the latest after this many milliseconds. @default 500 */
  readonly flushMs?: number
  /** Flush as soon as this many events wait. @default 5000 */
  readonly maxRows?: number
}

/** How a model is tracked: in this process (`exp.track`) or by `attributes.tracking` on the model. */
interface TrackingConfig {
  readonly experiment: string
  readonly capture: boolean
}

const instances = new WeakMap<Omega, Tracking>()

/**
 * Experiments and tracked calls of one Omega instance (one bucket view): observes the runtime
 * through core's call hook (`om.runtime.observe`), buffers events per experiment and flushes them
 * when the instance closes. `Tracking.of(om)` gives the one attached to `om`.
 */
export class Tracking implements CallObserver {
  readonly #experiments = new Map<string, Experiment>()
  readonly #logs = new Map<string, EventLog>()
  readonly #tracked = new Map<string, TrackingConfig>()
  readonly #detach: () => void
  readonly #rules = new Set<AlertRule>()
  readonly #actions = new Map<string, AlertAction>()
  /** Alert actions that threw, timed out, were not registered or named a missing script. */
  alertFailures = 0
  /** The message of the last alert failure. */
  lastAlertError: string | undefined
  #alerting: Promise<unknown>[] = []

  constructor(
    readonly om: Omega,
    readonly options: TrackingOptions = {},
  ) {
    this.#detach = om.runtime.observe(this)
  }

  /** The tracking attached to `om` (attached on first use). */
  static of(om: Omega, options?: TrackingOptions): Tracking {
    let t = instances.get(om)
    if (!t) instances.set(om, (t = new Tracking(om, options)))
    return t
  }

  /** The experiment `name` (created on first use). */
  experiment(name: string): Experiment {
    let exp = this.#experiments.get(name)
    if (!exp) {
      exp = new Experiment(name, {
        om: this.om,
        log: (n) => this.log(n),
        track: (model, experiment, options) => this.#tracked.set(model, { experiment, capture: options.capture === true }),
        untrack: (model, experiment) => {
          if (this.#tracked.get(model)?.experiment === experiment) this.#tracked.delete(model)
        },
      })
      // Bad names fail here (E_INVALID_NAME), not at the first flush.
      validateName(exp.dataset)
      this.#experiments.set(name, exp)
    }
    return exp
  }

  /** The buffered event log of an experiment. */
  log(experiment: string): EventLog {
    let log = this.#logs.get(experiment)
    if (!log) {
      log = new EventLog(this.om.datasets, `.experiments/${experiment}`, { flushMs: this.options.flushMs ?? 500, maxRows: this.options.maxRows ?? 5000 })
      log.onRow = (row) => this.#fire(row)
      this.#logs.set(experiment, log)
    }
    return log
  }

  /**
   * A drift monitor: of a model's captured inputs (`monitor('m', { experiment })`) or of a
   * dataset (`monitor({ dataset })`).
   */
  monitor(model: string | { readonly dataset: string; readonly experiment?: string; readonly thresholds?: MonitorOptions['thresholds'] }, options: MonitorOptions = {}): Monitor {
    if (typeof model === 'string') {
      if (typeof options.experiment !== 'string') throw errors.invalidArgument(`om.monitor("${model}") needs { experiment }: the experiment that tracks the model with capture`)
      return new Monitor(this.om, this.experiment(options.experiment), { model: parseName(model).name }, options)
    }
    if (typeof model?.dataset !== 'string') throw errors.invalidArgument('om.monitor needs a model name or { dataset }')
    const opts = { ...options, ...model }
    return new Monitor(this.om, this.experiment(opts.experiment ?? `monitor/${parseName(model.dataset).name}`), { dataset: model.dataset }, opts)
  }

  /** Registers a named alert action (rules may name it). */
  registerAlertAction(name: string, action: AlertAction): void {
    if (typeof action !== 'function') throw errors.invalidArgument(`registerAlertAction("${name}") needs a function`)
    this.#actions.set(name, action)
  }

  /**
   * Adds an alert rule; returns a function that removes it. The action is a function, a name
   * registered with {@link registerAlertAction} or `{ script, timeoutMs?, args? }` (a stored script
   * run with `{ ...args, event }`, see {@link AlertScriptAction}). Registered names and scripts are
   * looked up when the rule fires: a missing one is counted in `alertFailures`.
   *
   * @throws {OmegaError} E_INVALID_ARGUMENT for a rule of the wrong shape
   */
  alert(rule: AlertRule): () => void {
    checkAlertRule(rule)
    this.#rules.add(rule)
    return () => void this.#rules.delete(rule)
  }

  /** Waits for alert actions started so far. */
  async alertsSettled(): Promise<void> {
    const pending = this.#alerting
    this.#alerting = []
    await Promise.allSettled(pending)
  }

  #fire(row: EventRow): void {
    if (this.#rules.size === 0) return
    for (const rule of this.#rules) {
      if (rule.event !== row.event || (rule.experiment !== undefined && rule.experiment !== row.experiment) || (rule.key !== undefined && rule.key !== row.key)) continue
      const action = rule.action
      const work = (async () => {
        const run = await row.run
        const event: AlertEvent = { experiment: row.experiment, run, event: row.event, key: row.key, value: row.value, json: row.json, dt: new Date(row.dt) }
        if (typeof action === 'object') return await runAlertScript(this.om, action, event)
        const fn = typeof action === 'function' ? action : this.#actions.get(action)
        if (!fn) throw new Error(`no alert action "${action}" is registered`)
        await fn(event, this.om)
      })().catch((err: unknown) => {
        this.alertFailures++
        this.lastAlertError = err instanceof Error ? err.message : String(err)
      })
      this.#alerting.push(work)
    }
  }

  /** Events written and lost by this process, over all experiments, and alert actions that failed. */
  stats(): TrackingStats {
    const total: TrackingStats = { written: 0, flushes: 0, lost: 0, failedWrites: 0, alertFailures: this.alertFailures, ...(this.lastAlertError !== undefined && { lastAlertError: this.lastAlertError }) }
    for (const log of this.#logs.values()) {
      total.written += log.stats.written
      total.flushes += log.stats.flushes
      total.lost += log.stats.lost
      total.failedWrites += log.stats.failedWrites
      if (log.stats.lastError) total.lastError = log.stats.lastError
    }
    return total
  }

  /** Writes every buffered event. */
  async flush(): Promise<void> {
    await Promise.all([...this.#logs.values()].map((l) => l.flush()))
  }

  /** {@link CallObserver} hook: called by core before each runtime task; cheap when the model is not tracked. */
  onCall(call: ObservedCall): CallWatch | undefined {
    const model = call.model
    if (model.bucket !== this.om.bucketName) return undefined
    const config = this.#tracked.get(model.name) ?? fromAttributes(model.attributes.tracking)
    if (!config) return undefined
    const exp = this.experiment(config.experiment)
    const run = exp.runForTracking()
    const ref = `${model.name}@${model.version}`
    const names = (model.attributes.features as { names?: string[] } | undefined)?.names
    const X = config.capture && call.X ? captureInput(call.X, names) : undefined
    const Y = config.capture && call.Y ? captureInput(call.Y, undefined) : undefined
    const rows = call.X?.rows
    run.event('task_call', call.op, null, { model: ref, ...(rows !== undefined && { rows }) })
    return {
      success: (result: TaskResult, ms: number) => {
        run.log.push(makeRow(exp.name, run.number, 'task_success', call.op, ms, { model: ref, ...(rows !== undefined && { rows }) }))
        if (!config.capture) return
        const out = call.op === 'predict' || call.op === 'predictProba' || call.op === 'transform' ? captureResult(result) : undefined
        run.log.push(makeRow(exp.name, run.number, call.op, model.name, result.type === 'number' ? result.value : null, captureJson(ref, X, Y, out), undefined, { X: bytesOf(X), Y: bytesOf(out ?? Y) }))
      },
      failure: (error: unknown, ms: number) => {
        run.log.push(makeRow(exp.name, run.number, 'task_failure', call.op, ms, { model: ref, error: (error as Error)?.message ?? String(error), code: (error as { code?: string })?.code ?? null }))
      },
    }
  }

  /** {@link CallObserver} hook: the instance is closing. Stops runs started by tracked calls and writes every buffered event. */
  async close(): Promise<void> {
    for (const exp of this.#experiments.values()) exp.stopImplicit()
    await this.alertsSettled()
    await this.flush()
    this.#detach()
    instances.delete(this.om)
  }
}

function fromAttributes(value: unknown): TrackingConfig | undefined {
  if (typeof value === 'string') return { experiment: value, capture: false }
  if (typeof value !== 'object' || value === null) return undefined
  const { experiment, capture } = value as { experiment?: unknown; capture?: unknown }
  return typeof experiment === 'string' ? { experiment, capture: capture === true } : undefined
}

function captureJson(model: string, X: Captured | undefined, Y: Captured | undefined, out: Captured | undefined): JsonObject {
  const x = describeCapture(X)
  const y = describeCapture(out ?? Y)
  return { model, ...(x && { X: x }), ...(y && { Y: y }) }
}

function bytesOf(c: Captured | undefined): (() => Uint8Array | null) | null {
  return c && 'data' in c ? c.data : null
}

export type { TrackOptions }
