import type { MessagePort } from 'node:worker_threads'
import type { JsonObject } from '../json.js'
import type { SerializedError } from '../errors.js'
import type { StorageBackend } from '../backend/storage-backend.js'
import type { DatasetRef } from './resolved-input.js'

/** Operations the runtime runs on a model by name. */
export type RuntimeOperation = 'fit' | 'partialFit' | 'predict' | 'predictProba' | 'transform' | 'score' | 'gridsearch'

/**
 * Data as bytes that cross a thread boundary by transfer: Arrow IPC for tables, raw elements for
 * tensors, and for named inputs (multi-input models) each input's encoding in one buffer.
 */
export interface EncodedData {
  readonly format: 'arrow-ipc' | 'tensor' | 'inputs'
  readonly bytes: Uint8Array
  /** Tensors: `{ dtype, shape }`; inputs: `{ inputs: [{ name, format, offset, length, meta? }] }`. */
  readonly meta?: JsonObject
}

/** The model version a task runs on. `parts` may be omitted when the executor likely caches it. */
export interface TaskModel {
  readonly name: string
  readonly version: number
  readonly sha256: string
  readonly kind: string
  readonly kindMeta: JsonObject
  readonly parts?: Readonly<Record<string, Uint8Array>>
  /** The bucket the version is stored in: an executor that reads the shared store itself (a queue worker) needs it. */
  readonly bucket?: string
  /**
   * Names the live model (sha256 and kindMeta) in an executor's cache. A runtime that sets it may
   * leave `kindMeta` empty on tasks without `parts`: executors then look the model up by this key alone.
   */
  readonly cacheKey?: string
}

/** Operations a task executes (gridsearch runs as many `foldScore` tasks and one `fit`). */
export type TaskOperation = 'fit' | 'partialFit' | 'predict' | 'predictProba' | 'transform' | 'score' | 'foldScore'

/** A unit of work as plain data: it crosses thread (later: process) boundaries unchanged. */
export interface ModelTask {
  readonly type: 'model'
  readonly op: TaskOperation
  readonly model: TaskModel
  readonly X?: EncodedData
  readonly Y?: EncodedData
  /** Hyper-parameters to set before fitting (gridsearch), and handler options (ONNX `outputs`…). */
  readonly params?: JsonObject
  /** foldScore: rows to fit on and rows to score on. */
  readonly train?: readonly number[]
  readonly test?: readonly number[]
  /** foldScore: `accuracy`, `r2`, `neg_mean_squared_error`, or the model's own score. */
  readonly scoring?: string
  /**
   * X or Y by dataset name instead of bytes, for a runtime whose executors read the shared store
   * ({@link Runtime.readsStore}); the caller has resolved the name and checked the features.
   */
  readonly Xref?: DatasetRef
  readonly Yref?: DatasetRef
}

/**
 * A stored script to run: its entry module (extracted once per sha256, see scripts/script-cache.ts)
 * and the port over which its `om` reaches the application's instance (rpc/serve-omega.ts).
 */
export interface ScriptTask {
  readonly type: 'script'
  readonly script: string
  readonly sha256: string
  /** File URL of the extracted entry module. */
  readonly entry: string
  /** The arguments of `run(om, args)`, as wire data (rpc/wire.ts). */
  readonly args: unknown
  readonly bucket: string
  /** Transferred to the executor; carries the script's calls to `om`. */
  readonly port: MessagePort
}

/** Any task. */
export type Task = ModelTask | ScriptTask

/** A successful task's value, as data. */
export type TaskResult =
  | { readonly type: 'tensor'; readonly data: EncodedData }
  | { readonly type: 'tensors'; readonly data: Readonly<Record<string, EncodedData>> }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'model'; readonly kind: string; readonly kindMeta: JsonObject; readonly parts: Readonly<Record<string, Uint8Array>>; readonly metrics?: JsonObject }
  /** A script's return value, as wire data (rpc/wire.ts). */
  | { readonly type: 'value'; readonly value: unknown }

/**
 * A task's outcome. Errors travel as data because an error's class and code do not survive
 * postMessage; `missingModel` asks the caller to send the model's bytes (the executor had no cached copy).
 */
export type TaskOutcome =
  | { readonly ok: true; readonly result: TaskResult }
  | { readonly ok: false; readonly error: SerializedError }
  | { readonly ok: false; readonly missingModel: true }

/** Progress of a long call: chunks, folds or epochs done. */
export interface Progress {
  readonly done: number
  readonly total?: number
  readonly message?: string
}

/** Cancellation, deadline and progress of one runtime call. */
export interface RunOptions {
  readonly signal?: AbortSignal
  /** Reject with E_TIMEOUT after this many milliseconds (the worker is recycled if it does not stop). */
  readonly timeoutMs?: number
  /**
   * Progress the handler reports while the task runs (its `onProgress`), delivered on the calling
   * thread, never after the call settles. A runtime may coalesce reports (the pool sends at most one
   * per {@link PROGRESS_INTERVAL_MS}, always the last).
   */
  readonly onProgress?: (progress: Progress) => void
  /**
   * The task may be merged with concurrent tasks of the same model version, operation and
   * parameters (its X is rows of a row-independent model): up to `maxBatch` rows, waiting at most
   * `maxDelayMs` for more. Runtimes that do not batch ignore it; missing fields take the runtime's defaults.
   */
  readonly batch?: BatchingOptions
  /**
   * Run only where this label is served (`om.runtime.require({ label: 'gpu' })`). A runtime that
   * cannot route (`routes` not set: pool, inline) never gets a labelled task: the call is E_UNSUPPORTED.
   */
  readonly label?: string
}

/**
 * A runtime that batches (`batches: true`) promises never to transfer the X and Y bytes of a task
 * run with `batch`: callers then hand over their own buffers without a defensive copy.
 */
export interface BatchingRuntime extends Runtime {
  readonly batches: true
}

/** Dynamic batching limits (per runtime, per model in `attributes.batching`, per call in `batching`). */
export interface BatchingOptions {
  /** Rows of one merged task. */
  readonly maxBatch?: number
  /** Milliseconds a call may wait for others to join (0: only calls made in the same turn of the event loop). */
  readonly maxDelayMs?: number
}

/** Milliseconds between two progress reports a runtime forwards from another thread. */
export const PROGRESS_INTERVAL_MS = 50

/** Executes tasks: inline on the calling thread, on a worker pool, or (later) on a queue. */
export interface Runtime {
  readonly kind: string
  /** Tasks can be routed to executors by label (see {@link RunOptions.label}). */
  readonly routes?: boolean
  /** Executors open the instance's store themselves: inputs read from a dataset are sent by name (`Xref`). */
  readonly readsStore?: boolean
  run(task: Task, options?: RunOptions): Promise<TaskOutcome>
  /** Waits for running tasks (or, with `force`, aborts them) and releases threads. */
  close(options?: { readonly force?: boolean }): Promise<void>
}

/** What a runtime factory gets from the instance that opens it. */
export interface RuntimeHost {
  /** Plugin module URLs: a runtime loads them wherever tasks execute (every worker). */
  readonly plugins: readonly string[]
  /** Requested parallelism (`threads` option). */
  readonly threads?: number
  /** The open options, for runtime-specific settings (`options.runtime` holds a `{ type, ...settings }` object). */
  readonly options: Readonly<Record<string, unknown>>
  /** The instance's open store: a runtime whose executors share it (queue workers) keeps temporary objects there. */
  readonly store?: StorageBackend
}

/** Builds a runtime for an Omega instance. */
export type RuntimeFactory = (host: RuntimeHost) => Runtime | Promise<Runtime>
