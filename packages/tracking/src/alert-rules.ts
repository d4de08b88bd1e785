import { errors, type JsonObject, type JsonValue, type Omega } from '@omega/core'

/** What an alert action gets: the event that matched (run number resolved) and the instance. */
export interface AlertEvent {
  readonly experiment: string
  readonly run: number | null
  readonly event: string
  readonly key: string | null
  readonly value: number | null
  readonly json: unknown
  readonly dt: Date
}

/** {@link AlertEvent} as a stored script receives it (`args.event`): plain JSON, `dt` as an ISO 8601 string. */
export interface AlertEventJson {
  readonly experiment: string
  readonly run: number | null
  readonly event: string
  readonly key: string | null
  readonly value: number | null
  readonly json: JsonValue
  readonly dt: string
}

/** A callback run when an event matches an alert rule. Runs off the logging path; what it throws is counted, never raised. */
export type AlertAction = (event: AlertEvent, om: Omega) => void | Promise<void>

/**
 * A stored script run when an event matches an alert rule: `om.runtime.script(script).run({ ...args, event }, { timeoutMs })`
 * on the instance's runtime (inline or the pool), recorded in `om.jobs.runs(script)` like every script run.
 * The script is looked up when the rule fires: a missing one is a counted failure, so a rule may be added before its script is stored.
 */
export interface AlertScriptAction {
  /** The stored script's name (`om.scripts.put(source, name)`). */
  readonly script: string
  /** Stop the run after this many milliseconds (a counted failure). */
  readonly timeoutMs?: number
  /** Extra arguments, passed next to `event`. */
  readonly args?: JsonObject
}

/** Fire `action` on every `event` (optionally only in one experiment and for one key, e.g. a model). */
export interface AlertRule {
  readonly event: string
  /** A function, the name of an action registered with `registerAlertAction`, or a stored script. */
  readonly action: string | AlertAction | AlertScriptAction
  readonly experiment?: string
  readonly key?: string
}

const SHAPE = 'an alert rule needs { event, action } (action: a function, a registered action name or { script, timeoutMs?, args? })'

/**
 * Checks a rule's shape before it is kept, so a bad rule fails at `alert()` and never at an event.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT for a bad shape
 */
export function checkAlertRule(rule: AlertRule): void {
  if (typeof rule !== 'object' || rule === null || typeof rule.event !== 'string') throw errors.invalidArgument(SHAPE)
  for (const field of ['experiment', 'key'] as const) {
    if (rule[field] !== undefined && typeof rule[field] !== 'string') throw errors.invalidArgument(`an alert rule's ${field} must be a string`)
  }
  const action: unknown = rule.action
  if (typeof action === 'string' || typeof action === 'function') return
  if (typeof action !== 'object' || action === null || Array.isArray(action)) throw errors.invalidArgument(SHAPE)
  const { script, timeoutMs, args, ...rest } = action as Record<string, unknown>
  const unknownKeys = Object.keys(rest)
  if (unknownKeys.length > 0) throw errors.invalidArgument(`an alert script action takes { script, timeoutMs?, args? }, not ${unknownKeys.join(', ')}`)
  if (typeof script !== 'string' || script === '') throw errors.invalidArgument(`${SHAPE}; script must be a non-empty name`)
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw errors.invalidArgument(`an alert script action's timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)})`)
  }
  if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) throw errors.invalidArgument("an alert script action's args must be an object")
  if (args !== undefined && 'event' in args) throw errors.invalidArgument("an alert script action's args may not contain event: the script gets the matched event there")
}

/** Runs a script action for one event; rejects (to be counted) when the script is missing, throws or times out. */
export async function runAlertScript(om: Omega, action: AlertScriptAction, event: AlertEvent): Promise<void> {
  const json: AlertEventJson = { ...event, json: (event.json ?? null) as JsonValue, dt: event.dt.toISOString() }
  await om.runtime.script(action.script).run({ ...action.args, event: json }, action.timeoutMs === undefined ? {} : { timeoutMs: action.timeoutMs })
}
