import { DataType, Table, vectorFromArray, type Vector } from 'apache-arrow'
import { gather, numbersOf, stringsOf } from './arrow-columns.js'
import { errors } from '@omega/core'
import { toEpochMs } from './time-window.js'

/** Which events `data()` and `restoreData()` return. */
export interface EventQuery {
  /** A run number, `'*'` for all, a negative number relative to the latest (-1 = latest), or a list. @default -1 */
  readonly run?: number | '*' | readonly number[]
  /** Event name(s). */
  readonly event?: string | readonly string[]
  /** Key(s): metric or parameter names, model names of tracked calls. */
  readonly key?: string | readonly string[]
  /** Events at or after: a Date, epoch ms, an ISO date, or a span back from now (`'5h'`, `'1d'`, `'2w'`). */
  readonly since?: Date | number | string
  /** Events before. */
  readonly end?: Date | number | string
}

/** Row indices of `table` that match `query`, sorted by `dt` (ties keep their stored order). */
export function selectRows(table: Table, query: EventQuery): number[] {
  const runs = numbersOf(table.getChild('run')!)
  let latest = 0
  for (const r of runs) if (r !== null && r > latest) latest = r
  const wantRun = runFilter(query.run ?? -1, latest)
  const wantEvent = set(query.event)
  const wantKey = set(query.key)
  const since = query.since === undefined ? -Infinity : toEpochMs(query.since, 'since')
  const end = query.end === undefined ? Infinity : toEpochMs(query.end, 'end')
  const events = wantEvent ? stringsOf(table.getChild('event')!) : undefined
  const keys = wantKey ? stringsOf(table.getChild('key')!) : undefined
  const times = numbersOf(table.getChild('dt')!) as number[]
  const picked: number[] = []
  let sorted = true
  for (let i = 0; i < table.numRows; i++) {
    if (wantRun && !(runs[i] !== null && wantRun(runs[i]!))) continue
    if (wantEvent && !wantEvent.has(events![i]!)) continue
    if (wantKey && !wantKey.has(keys![i]!)) continue
    const t = times[i]!
    if (t < since || t >= end) continue
    if (picked.length > 0 && times[picked[picked.length - 1]!]! > t) sorted = false
    picked.push(i)
  }
  // Appends arrive (almost) in time order: sort only when they did not.
  return sorted ? picked : picked.sort((a, b) => times[a]! - times[b]! || a - b)
}

function set(v: string | readonly string[] | undefined): Set<string> | undefined {
  return v === undefined ? undefined : new Set(typeof v === 'string' ? [v] : v)
}

function runFilter(run: number | '*' | readonly number[], latest: number): ((r: number) => boolean) | undefined {
  if (run === '*') return undefined
  const resolve = (r: number): number => {
    if (!Number.isInteger(r) || r === 0) throw errors.invalidArgument(`run must be a run number (1, 2 …), a negative number relative to the latest (-1), or '*'; got ${JSON.stringify(r)}`)
    return r < 0 ? latest + 1 + r : r
  }
  if (Array.isArray(run)) {
    const wanted = new Set(run.map(resolve))
    return (r) => wanted.has(r)
  }
  const one = resolve(run as number)
  return (r) => r === one
}

/** The rows `indices` of `table`, columns `names`, as a new table of the same column types. */
export function takeRows(table: Table, indices: readonly number[], names: readonly string[]): Table {
  // Every row in stored order: the stored columns as they are, no copy.
  if (indices.length === table.numRows && indices.every((v, i) => v === i)) return table.select([...names])
  const columns: Record<string, Vector> = {}
  for (const name of names) {
    const col = table.getChild(name)!
    const type = col.type as DataType
    columns[name] = DataType.isUtf8(type) || DataType.isInt(type) || DataType.isFloat(type) || DataType.isTimestamp(type) ? gather(col, indices) : vectorFromArray(indices.map((i) => col.get(i)) as never, type)
  }
  return new Table(columns)
}
