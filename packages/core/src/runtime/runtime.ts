import type { JsonObject, JsonValue } from '../json.js'
import type { SerializedError } from '../errors.js'

/** Operations the runtime runs on a model by name. */
export type RuntimeOperation = 'fit' | 'partialFit' | 'predict' | 'predictProba' | 'transform' | 'score' | 'gridsearch'

/** Data given to a task: a dataset name (selectors allowed), or inline bytes. */
export type DataRef = { readonly name: string } | { readonly inline: EncodedData }

/** Inline data as bytes that can be transferred to a worker without copying. */
export interface EncodedData {
  readonly format: 'arrow-ipc' | 'tensor'
  readonly bytes: Uint8Array
  readonly meta?: JsonObject
}

/** A unit of work as plain data: it crosses thread (later: process) boundaries unchanged. */
export type Task =
  | {
      readonly type: 'model'
      readonly op: RuntimeOperation
      readonly model: string
      readonly X?: DataRef
      readonly Y?: DataRef
      readonly options: JsonObject
    }
  | { readonly type: 'script'; readonly script: string; readonly args: JsonObject }

/** Cancellation and deadline of one runtime call. */
export interface RunOptions {
  readonly signal?: AbortSignal
  readonly timeoutMs?: number
}

/** A task's result; errors travel as data because an error's class and code do not survive postMessage. */
export type TaskOutcome =
  | { readonly ok: true; readonly value?: EncodedData | JsonValue }
  | { readonly ok: false; readonly error: SerializedError }

/** Executes tasks: inline on the calling thread, on a worker pool, or (later) on a queue. */
export interface Runtime {
  readonly kind: string
  run(task: Task, options?: RunOptions): Promise<TaskOutcome>
  close(): Promise<void>
}
