import { Table } from 'apache-arrow'
import { isArrowTable, isRecordBatch, ownTable } from '../data/arrow.js'
import { Tensor } from '../data/tensor.js'
import { isPlainObject, type JsonObject } from '../json.js'
import type { SerializedError } from '../errors.js'
import { decodeInput, encodeInput } from '../runtime/task-codec.js'
import type { EncodedData } from '../runtime/runtime.js'

/** The stores and calls an application's `om` serves over a port. */
export type RemoteTarget = 'datasets' | 'models' | 'model'

/** One call from a worker to the application's `om`. */
export interface RemoteRequest {
  readonly id: number
  readonly target: RemoteTarget
  readonly method: string
  /** The model a `model` call runs on (`om.runtime.model(name)`). */
  readonly name?: string
  readonly args: readonly unknown[]
}

/** The answer to a {@link RemoteRequest}: a wire value, or the OmegaError as data. */
export type RemoteResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError }

/** A live model as its handler's artifacts, so it crosses a thread or process as bytes. */
export interface WireModel {
  readonly $omega: 'model'
  readonly kind: string
  readonly kindMeta: JsonObject
  readonly parts: Readonly<Record<string, Uint8Array>>
}

/**
 * The two ends of a message channel that carries {@link RemoteRequest}s and their answers: a
 * `worker_threads` MessagePort, or any transport with the same three calls (a queue's channel).
 */
export interface OmegaPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  off(event: 'message', listener: (message: unknown) => void): unknown
}

/**
 * A value as structured-clone-safe data: Arrow tables and record batches become Arrow IPC bytes,
 * tensors their element bytes, arrays and plain objects are walked, and options that cannot cross
 * (AbortSignals, callbacks) are dropped. Everything else passes as structured clone takes it.
 */
export function toWire(value: unknown, depth = 0): unknown {
  if (isArrowTable(value) || isRecordBatch(value)) return { $omega: 'data', data: encodeInput(ownTable(value), false) }
  if (value instanceof Tensor) return { $omega: 'data', data: encodeInput(value, true) }
  if (depth > 64) return value
  if (Array.isArray(value)) return value.map((v) => toWire(v, depth + 1))
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'function' || v instanceof AbortSignal) continue
      out[k] = toWire(v, depth + 1)
    }
    return out
  }
  return value
}

/** The inverse of {@link toWire}. */
export function fromWire(value: unknown, depth = 0): unknown {
  if (depth > 64) return value
  if (Array.isArray(value)) return value.map((v) => fromWire(v, depth + 1))
  if (!isPlainObject(value)) return value
  if (value.$omega === 'data') return decodeInput(value.data as EncodedData) as Table | Tensor
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = fromWire(v, depth + 1)
  return out
}

/** True for a model sent as artifacts. */
export function isWireModel(value: unknown): value is WireModel {
  return isPlainObject(value) && value.$omega === 'model'
}
