import { Binary, Float64, Int32, Table, TimestampMillisecond, Utf8, vectorFromArray, type DataType, type Vector } from 'apache-arrow'
import { float64Vector, int32Vector, timestampVector, utf8Vector } from './arrow-columns.js'
import type { JsonValue } from '@omega/core'

/** Event names the tracking package logs (users may log their own with `logEvent`). */
export type EventName = 'start' | 'stop' | 'param' | 'metric' | 'artifact' | 'system' | 'task_call' | 'task_success' | 'task_failure' | 'drift' | (string & {})

/**
 * One event as buffered: `value` is numeric (metrics, durations) and `json` carries any other
 * value as JSON text; `X`/`Y` hold captured data as Arrow IPC bytes.
 */
export interface EventRow {
  readonly experiment: string
  /** The run, or the promise of its number (runs started implicitly by tracked calls). */
  readonly run: number | Promise<number> | null
  readonly step: number | null
  readonly event: EventName
  readonly key: string | null
  readonly value: number | null
  readonly json: JsonValue | undefined
  readonly dt: number
  readonly node: string
  readonly user: string
  /** Captured data as Arrow IPC bytes, or a function that makes them (run at flush, off the hot path). */
  readonly X?: Uint8Array | null | (() => Uint8Array | null)
  readonly Y?: Uint8Array | null | (() => Uint8Array | null)
}

/** The stored columns, in order: every flush appends a table of exactly this schema. */
export const EVENT_COLUMNS: readonly (readonly [string, () => DataType])[] = [
  ['experiment', () => new Utf8()],
  ['run', () => new Int32()],
  ['step', () => new Int32()],
  ['event', () => new Utf8()],
  ['key', () => new Utf8()],
  ['value', () => new Float64()],
  ['json', () => new Utf8()],
  ['dt', () => new TimestampMillisecond()],
  ['node', () => new Utf8()],
  ['user', () => new Utf8()],
  ['X', () => new Binary()],
  ['Y', () => new Binary()],
]

/** Rows (run numbers resolved) as one Arrow table of the event schema. */
export function eventTable(rows: readonly (EventRow & { run: number | null })[]): Table {
  const pick = <T>(f: (r: EventRow & { run: number | null }) => T): T[] => rows.map(f)
  const bytes = (name: 'X' | 'Y'): Vector => {
    const values = pick((r) => (typeof r[name] === 'function' ? lazyBytes(r[name] as () => Uint8Array | null) : (r[name] as Uint8Array | null | undefined) ?? null))
    return vectorFromArray(values as never, new Binary())
  }
  return new Table({
    experiment: utf8Vector(pick((r) => r.experiment)),
    run: int32Vector(pick((r) => r.run)),
    step: int32Vector(pick((r) => r.step)),
    event: utf8Vector(pick((r) => r.event)),
    key: utf8Vector(pick((r) => r.key)),
    value: float64Vector(pick((r) => r.value)),
    json: utf8Vector(pick((r) => (r.json === undefined ? null : JSON.stringify(r.json)))),
    dt: timestampVector(pick((r) => r.dt)),
    node: utf8Vector(pick((r) => r.node)),
    user: utf8Vector(pick((r) => r.user)),
    X: bytes('X'),
    Y: bytes('Y'),
  })
}

/** A capture that cannot be encoded is stored as null: the event stays, the call it describes already succeeded. */
function lazyBytes(make: () => Uint8Array | null): Uint8Array | null {
  try {
    return make()
  } catch {
    return null
  }
}
