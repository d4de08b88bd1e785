import { createRequire } from 'node:module'
import { hostname, userInfo } from 'node:os'
import { errors, isArrowTable, isRecords, type JsonValue, type Omega } from '@omega/core'
import type { EventName, EventRow } from './event-schema.js'
import type { EventLog } from './event-log.js'

/** Values up to this many bytes of JSON are logged inline; larger objects go to a store. */
export const INLINE_ARTIFACT_BYTES = 16 * 1024

const NODE = hostname()
const USER = (() => {
  try {
    return userInfo().username
  } catch {
    return ''
  }
})()

/** Options of logMetric. */
export interface LogMetricOptions {
  /** Step (epoch, batch…) the value belongs to. */
  readonly step?: number
}

/** Where an artifact went. */
export interface ArtifactRef {
  readonly store: 'models' | 'datasets' | 'inline'
  readonly name?: string
  readonly version?: number
}

/**
 * One run of an experiment, numbered 1, 2, 3 … per experiment across every process. Logging is
 * synchronous and cheap: rows are buffered and appended to the experiment's dataset in batches.
 */
export class Run {
  #stopped = false

  constructor(
    readonly om: Omega,
    readonly experiment: string,
    /** The run's number (a promise while a run started by a tracked call is being numbered). */
    readonly number: number | Promise<number>,
    readonly log: EventLog,
  ) {}

  /** True once stopped: logging to it then throws. */
  get stopped(): boolean {
    return this.#stopped
  }

  /** Logs a numeric metric. */
  logMetric(key: string, value: number, options: LogMetricOptions = {}): void {
    if (typeof value !== 'number') throw errors.invalidArgument(`logMetric("${key}") takes a number, got ${typeof value}`)
    this.event('metric', key, value, undefined, options.step)
  }

  /** Logs a parameter (any JSON value). */
  logParam(key: string, value: JsonValue): void {
    this.event('param', key, typeof value === 'number' ? value : null, value)
  }

  /** Logs an event of your own (or one of the standard names) with an optional JSON value. */
  logEvent(event: EventName, key: string | null = null, value?: JsonValue): void {
    this.event(event, key, typeof value === 'number' ? value : null, value)
  }

  /** Logs the node version, platform, architecture and package versions (omega's own, plus those given). */
  logSystem(packages: Readonly<Record<string, string>> = {}): void {
    this.event('system', 'node', null, { node: process.version, platform: process.platform, arch: process.arch, pid: process.pid, packages: { ...omegaVersions(), ...packages } })
  }

  /**
   * Stores an artifact and logs where it went: tables and records to `om.datasets`, small JSON
   * values inline in the event, anything else (a model) to `om.models`.
   */
  async logArtifact(obj: unknown, name: string): Promise<ArtifactRef> {
    this.#check()
    const run = await this.number
    const stored = `.experiments/${this.experiment}/run-${run}/${name}`
    let ref: ArtifactRef
    if (isArrowTable(obj) || isRecords(obj)) {
      const meta = await this.om.datasets.put(obj, stored)
      ref = { store: 'datasets', name: stored, ...(meta.version !== undefined && { version: meta.version }) }
    } else if (isSmallJson(obj)) {
      this.event('artifact', name, null, { store: 'inline', value: obj as JsonValue })
      return { store: 'inline' }
    } else {
      const meta = await this.om.models.put(obj, stored)
      ref = { store: 'models', name: stored, ...(meta.version !== undefined && { version: meta.version }) }
    }
    this.event('artifact', name, null, { ...ref })
    return ref
  }

  /** Appends one row to the buffer. @internal */
  event(event: EventName, key: string | null, value: number | null, json?: JsonValue, step?: number, extra?: Partial<EventRow>): void {
    this.#check()
    this.log.push(makeRow(this.experiment, this.number, event, key, value, json, step, extra))
  }

  /** Marks the run stopped (the experiment logs the `stop` event). @internal */
  markStopped(): void {
    this.#stopped = true
  }

  #check(): void {
    if (this.#stopped) throw errors.invalidArgument(`run ${typeof this.number === 'number' ? this.number : ''} of experiment "${this.experiment}" is stopped; start a new one with exp.start() or exp.run(fn)`.replace('run  of', 'this run of'))
  }
}

/** An event row with the common columns filled in. */
export function makeRow(
  experiment: string,
  run: number | Promise<number> | null,
  event: EventName,
  key: string | null,
  value: number | null,
  json?: JsonValue,
  step?: number,
  extra?: Partial<EventRow>,
): EventRow {
  return { experiment, run, step: step ?? null, event, key, value, json, dt: Date.now(), node: NODE, user: USER, ...extra }
}

let versions: Record<string, string> | undefined

/** Versions of @omega/core and @omega/tracking as installed (read once). */
function omegaVersions(): Record<string, string> {
  if (versions) return versions
  versions = {}
  const require = createRequire(import.meta.url)
  for (const [name, path] of [['@omega/core', '@omega/core/package.json'], ['@omega/tracking', '../package.json']] as const) {
    try {
      versions[name] = (require(path) as { version: string }).version
    } catch {
      // Not resolvable from here (bundled apps): leave it out.
    }
  }
  return versions
}

function isSmallJson(obj: unknown): boolean {
  if (obj === null || ['string', 'number', 'boolean'].includes(typeof obj)) return true
  if (typeof obj !== 'object' || Object.getPrototypeOf(obj) !== Object.prototype && !Array.isArray(obj)) return false
  try {
    return JSON.stringify(obj).length <= INLINE_ARTIFACT_BYTES
  } catch {
    return false
  }
}
