import { errors } from '../errors.js'
import { isPlainObject } from '../json.js'
import type { Metadata } from '../store/metadata.js'
import type { BatchingOptions, TaskOperation } from './runtime.js'

/** Operations whose rows are computed independently (score aggregates, fits learn). */
const ROW_OPERATIONS: ReadonlySet<TaskOperation> = new Set(['predict', 'predictProba', 'transform'])

/**
 * Checks batching settings (a call's `batching` option, a model's `attributes.batching` or
 * `kindMeta.batching`): `false`, or `{ maxBatch?, maxDelayMs? }`.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT naming the setting
 */
export function checkBatching(value: unknown, what: string): false | BatchingOptions | undefined {
  if (value === undefined || value === false) return value
  const bad = (): never => {
    throw errors.invalidArgument(`${what} must be false or { maxBatch?: positive integer, maxDelayMs?: milliseconds ≥ 0 }, got ${JSON.stringify(value)}`)
  }
  if (value === true) return {}
  if (!isPlainObject(value)) return bad()
  const { maxBatch, maxDelayMs } = value
  if (maxBatch !== undefined && (!Number.isSafeInteger(maxBatch) || (maxBatch as number) < 1)) bad()
  if (maxDelayMs !== undefined && (typeof maxDelayMs !== 'number' || !Number.isFinite(maxDelayMs) || maxDelayMs < 0)) bad()
  return { ...(maxBatch !== undefined && { maxBatch: maxBatch as number }), ...(maxDelayMs !== undefined && { maxDelayMs: maxDelayMs as number }) }
}

/**
 * Whether a call may be merged with concurrent calls, and its limits: only row operations; never
 * if the call or the model says `false`; otherwise if the model's handler declares its rows
 * independent, or the model or the call opts in with settings. The call's settings win over the model's.
 */
export function batchHint(op: TaskOperation, meta: Metadata, call: unknown, rowIndependent: () => boolean): BatchingOptions | undefined {
  if (!ROW_OPERATIONS.has(op)) return undefined
  const perCall = checkBatching(call, 'batching')
  if (perCall === false) return undefined
  const stored = meta.attributes.batching ?? meta.kindMeta.batching
  const perModel = checkBatching(stored, `"${meta.name}@${meta.version}" attributes.batching`)
  if (perModel === false) return undefined
  if (perCall === undefined && perModel === undefined && !rowIndependent()) return undefined
  return perCall && perModel ? { ...perModel, ...perCall } : (perCall ?? perModel ?? NO_LIMITS)
}

const NO_LIMITS: BatchingOptions = Object.freeze({})
