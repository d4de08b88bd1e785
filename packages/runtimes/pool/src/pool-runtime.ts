import { availableParallelism } from 'node:os'
import type { MessagePort, ResourceLimits, Transferable } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { ProgressReceiver } from './progress-channel.js'
import { OmegaError, abortError, combineSignals, errors, transferList, type RunOptions, type Runtime, type RuntimeHost, type Task, type TaskOutcome } from '@omega/core'

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
  /** Use your own Piscina (its `filename` must be `@omega/pool/worker`, with `workerData: { plugins, cacheSize }`). */
  readonly piscina?: PiscinaPool
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

const WORKER_URL = new URL('./worker.js', import.meta.url).href

/**
 * Runs tasks on a Piscina pool of worker threads (omega uses threads: an application that embeds
 * it should know). Each worker loads the instance's plugins at start. Abort and `timeoutMs`
 * terminate the worker running the task; a worker that throws, exits or runs out of memory
 * rejects its task with E_WORKER, and Piscina starts a new one, so later calls are served.
 */
export class PoolRuntime implements Runtime {
  readonly kind = 'pool'
  readonly #pool: PiscinaPool
  readonly #own: boolean

  constructor(host: RuntimeHost, options: PoolOptions = {}) {
    const threads = options.threads ?? host.threads ?? availableParallelism()
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
  }

  /** The worker threads (for diagnostics). */
  get threads(): number {
    return this.#pool.threads.length
  }

  async run(task: Task, options: RunOptions = {}): Promise<TaskOutcome> {
    const signal = combineSignals(options.signal, options.timeoutMs)
    if (signal?.aborted) throw abortError(signal)
    const progress = options.onProgress && new ProgressReceiver(options.onProgress)
    const message: WorkerMessage = progress ? { ...task, progress: progress.port } : task
    const transfers: Transferable[] = transferList(task.X, task.Y)
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
      if (signal?.aborted) throw abortError(signal)
      if (OmegaError.is(err)) throw err
      const e = err as { message?: string; code?: string }
      throw new OmegaError('E_WORKER', `a worker thread failed while running ${task.op} on "${task.model.name}@${task.model.version}": ${e.message ?? String(err)}; the pool replaced it`, {
        cause: err,
        details: { op: task.op, name: task.model.name, ...(e.code !== undefined && { code: e.code }) },
      })
    } finally {
      progress?.close()
    }
  }

  async close(options: { readonly force?: boolean } = {}): Promise<void> {
    if (!this.#own) return
    if (options.force) await this.#pool.destroy()
    else await this.#pool.close()
  }
}
