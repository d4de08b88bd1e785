import { availableParallelism } from 'node:os'
import type { MessagePort, ResourceLimits, Transferable } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { ProgressReceiver } from './progress-channel.js'
import { Batcher } from './batcher.js'
import { kindMetaDigest } from './kind-meta-digest.js'
import { OmegaError, abortError, checkBatching, combineSignals, errors, transferList, type BatchingOptions, type JsonObject, type RunOptions, type BatchingRuntime, type RuntimeHost, type Task, type ModelTask, type ScriptTask, type TaskOutcome } from '@omega/core'

/** Options of {@link PoolRuntime} (pass them as `Omega.open({ pool: { … } })`). */
export interface PoolOptions {
  /** Worker threads. @default the `threads` open option, else the number of cores */
  readonly threads?: number
  /** Deserialised models each worker keeps, by sha256. @default 16 */
  readonly cacheSize?: number
  /** V8 limits per worker; a worker over them is replaced and its task rejects with E_WORKER. */
  readonly resourceLimits?: ResourceLimits
  /** Milliseconds an idle worker is kept. @default 60000 */
  readonly idleTimeout?: number
  /**
   * Dynamic batching of concurrent predict, predictProba and transform calls of row-independent
   * models (see `ModelHandler.rowIndependent`; a model's `attributes.batching` and a call's
   * `batching` option override these): `false` turns it off for the pool.
   * @default { maxBatch: 256, maxDelayMs: 0 }
   */
  readonly batching?: false | BatchingOptions
  /** Use your own Piscina (its `filename` must be `@omega/pool/worker`, with `workerData: { plugins, cacheSize }`). */
  readonly piscina?: PiscinaPool
  /** Worker threads for stored scripts, started on the first script run (see {@link PoolRuntime}). @default `threads` */
  readonly scriptThreads?: number
}

/**
 * The part of a `Piscina` instance omega uses. Declared here rather than imported so that omega's
 * public declarations do not pull in piscina's, which fail strict checks
 * (`exactOptionalPropertyTypes` with `skipLibCheck: false`) in applications.
 */
export interface PiscinaPool {
  readonly threads: readonly unknown[]
  run(task: unknown, options: { transferList?: readonly Transferable[]; signal?: AbortSignal }): Promise<unknown>
  close(): Promise<void>
  destroy(): Promise<void>
}

/** What the pool posts to a worker: a task, and the port its progress goes to if the caller asked. */
export type WorkerMessage = Task & { readonly progress?: MessagePort }

const EMPTY: JsonObject = Object.freeze({}) as JsonObject

/**
 * The task as posted: without model bytes, kindMeta stays home and a short key of it travels
 * instead (a worker that has not cached the model answers missingModel, and the retry brings both).
 */
function slimmed(task: ModelTask): ModelTask {
  const model = task.model
  const cacheKey = `${model.sha256}:${kindMetaDigest(model.kindMeta)}`
  return { ...task, model: model.parts ? { ...model, cacheKey } : { name: model.name, version: model.version, sha256: model.sha256, kind: model.kind, kindMeta: EMPTY, cacheKey } }
}

/** Buffers below this size are copied, not transferred (a transfer costs more than a small copy). */
export const MIN_TRANSFER_BYTES = 64 * 1024

/** Chosen by `bench --scope onnx` (4,000 concurrent 1-row predicts): see the README's runtime figures. */
const BATCHING_DEFAULTS = { maxBatch: 256, maxDelayMs: 0 }

/** A CommonJS entry that imports worker.js: see worker-entry.cts for why Piscina does not load worker.js itself. */
const WORKER_URL = new URL('./worker-entry.cjs', import.meta.url).href

/**
 * Runs tasks on a Piscina pool of worker threads (omega uses threads: an application that embeds
 * it should know). Each worker loads the instance's plugins at start. Abort and `timeoutMs`
 * terminate the worker running the task; a worker that throws, exits or runs out of memory
 * rejects its task with E_WORKER, and Piscina starts a new one, so later calls are served.
 * Stored scripts run on a second set of threads, started on the first script run, so a script
 * that awaits a model call never holds the thread the call needs.
 */
export class PoolRuntime implements BatchingRuntime {
  readonly kind = 'pool'
  /** Batchable tasks' bytes are copied into merged tasks, never transferred. */
  readonly batches = true
  readonly #pool: PiscinaPool
  readonly #own: boolean
  readonly #batcher: Batcher | undefined
  /** Scripts run on threads of their own: a script awaiting a model call must not hold the thread that call needs. */
  readonly #scriptPool: () => PiscinaPool
  #scripts: PiscinaPool | undefined

  constructor(host: RuntimeHost, options: PoolOptions = {}) {
    const threads = options.threads ?? host.threads ?? availableParallelism()
    this.#scriptPool = () =>
      (this.#scripts ??= new Piscina({
        filename: WORKER_URL,
        minThreads: 0,
        maxThreads: options.scriptThreads ?? threads,
        idleTimeout: options.idleTimeout ?? 60_000,
        workerData: { plugins: [...host.plugins], cacheSize: options.cacheSize ?? 16 },
        ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
      }))
    if (!Number.isInteger(threads) || threads < 1) throw errors.invalidArgument(`threads must be a positive integer, got ${String(threads)}`)
    this.#own = options.piscina === undefined
    this.#pool =
      options.piscina ??
      new Piscina({
        filename: WORKER_URL,
        // All threads start with the pool (on first use), so no call waits for a worker to load its plugins.
        minThreads: threads,
        maxThreads: threads,
        idleTimeout: options.idleTimeout ?? 60_000,
        workerData: { plugins: [...host.plugins], cacheSize: options.cacheSize ?? 16 },
        ...(options.resourceLimits && { resourceLimits: options.resourceLimits }),
      })
    const batching = checkBatching(options.batching, 'pool.batching')
    this.#batcher =
      batching === false ? undefined : new Batcher((task, signal, transfer) => this.#send(task, signal, transfer, undefined), { ...BATCHING_DEFAULTS, ...batching }, threads)
  }

  /** The worker threads (for diagnostics). */
  get threads(): number {
    return this.#pool.threads.length
  }

  run(task: Task, options: RunOptions = {}): Promise<TaskOutcome> {
    let signal: AbortSignal | undefined
    try {
      signal = combineSignals(options.signal, options.timeoutMs)
    } catch (err) {
      return Promise.reject(err)
    }
    if (signal?.aborted) return Promise.reject(abortError(signal))
    if (task.type === 'script') return this.#sendScript(task, signal)
    if (options.batch && this.#batcher && !options.onProgress) {
      const queued = this.#batcher.run(task, options.batch, signal)
      if (queued) return queued
    }
    // A task run with `batch` may hold the caller's own buffers (see BatchingRuntime): copied, never transferred.
    return this.#send(task, signal, options.batch === undefined, options.onProgress)
  }

  /** A script task carries the port its om talks over: it moves to the worker. */
  async #sendScript(task: ScriptTask, signal: AbortSignal | undefined): Promise<TaskOutcome> {
    try {
      return (await this.#scriptPool().run(task, { transferList: [task.port as unknown as ArrayBuffer], ...(signal && { signal }) })) as TaskOutcome
    } catch (err) {
      throw this.#failure(err, task, signal)
    }
  }

  async #send(task: ModelTask, signal: AbortSignal | undefined, transfer: boolean, onProgress: RunOptions['onProgress']): Promise<TaskOutcome> {
    const progress = onProgress && new ProgressReceiver(onProgress)
    const slim = slimmed(task)
    const message: WorkerMessage = progress ? { ...slim, progress: progress.port } : slim
    // Small buffers are cheaper to copy than to transfer.
    const transfers: Transferable[] = transfer ? transferList(task.X, task.Y).filter((b) => b.byteLength >= MIN_TRANSFER_BYTES) : []
    if (progress) transfers.push(progress.port)
    try {
      const outcome = (await this.#pool.run(message, { transferList: transfers, ...(signal && { signal }) })) as TaskOutcome
      if (progress) {
        await progress.drained()
        if (progress.error !== undefined) throw progress.error
      }
      return outcome
    } catch (err) {
      if (err === progress?.error) throw err
      throw this.#failure(err, task, signal)
    } finally {
      progress?.close()
    }
  }

  #failure(err: unknown, task: Task, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return abortError(signal)
    if (OmegaError.is(err)) return err
    const e = err as { message?: string; code?: string }
    const what = task.type === 'script' ? `script "${task.script}"` : `${task.op} on "${task.model.name}@${task.model.version}"`
    return new OmegaError('E_WORKER', `a worker thread failed while running ${what}: ${e.message ?? String(err)}; the pool replaced it`, {
      cause: err,
      details: task.type === 'script' ? { script: task.script } : { op: task.op, name: task.model.name, ...(e.code !== undefined && { code: e.code }) },
    })
  }

  async close(options: { readonly force?: boolean } = {}): Promise<void> {
    if (this.#scripts) await (options.force ? this.#scripts.destroy() : this.#scripts.close())
    if (!this.#own) return
    if (options.force) await this.#pool.destroy()
    else await this.#pool.close()
  }
}
