import { availableParallelism } from 'node:os'
import type { ResourceLimits } from 'node:worker_threads'
import { Piscina } from 'piscina'
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
  run(task: unknown, options: { transferList?: ArrayBuffer[]; signal?: AbortSignal }): Promise<unknown>
  close(): Promise<void>
  destroy(): Promise<void>
}

const WORKER_URL = new URL('./worker.js', import.meta.url).href

/**
 * Runs tasks on a Piscina pool of worker threads (omega uses threads: an application that embeds
 * it should know). Each worker loads the instance's plugins at start. Abort and `timeoutMs`
 * terminate the worker running the task; a worker that throws, exits or runs out of memory
 * rejects its task with E_WORKER, and Piscina starts a new one, so later calls are served.
 * Stored scripts run on a second set of threads, started on the first script run, so a script
 * that awaits a model call never holds the thread the call needs.
 */
export class PoolRuntime implements Runtime {
  readonly kind = 'pool'
  readonly #pool: PiscinaPool
  readonly #own: boolean
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
  }

  /** The worker threads (for diagnostics). */
  get threads(): number {
    return this.#pool.threads.length
  }

  async run(task: Task, options: RunOptions = {}): Promise<TaskOutcome> {
    const signal = combineSignals(options.signal, options.timeoutMs)
    if (signal?.aborted) throw abortError(signal)
    try {
      // A script task carries the port its om talks over: it moves to the worker.
      if (task.type === 'script') return (await this.#scriptPool().run(task, { transferList: [task.port as unknown as ArrayBuffer], ...(signal && { signal }) })) as TaskOutcome
      return (await this.#pool.run(task, { transferList: transferList(task.X, task.Y), ...(signal && { signal }) })) as TaskOutcome
    } catch (err) {
      if (signal?.aborted) throw abortError(signal)
      if (OmegaError.is(err)) throw err
      const e = err as { message?: string; code?: string }
      const what = task.type === 'script' ? `script "${task.script}"` : `${task.op} on "${task.model.name}@${task.model.version}"`
      throw new OmegaError('E_WORKER', `a worker thread failed while running ${what}: ${e.message ?? String(err)}; the pool replaced it`, {
        cause: err,
        details: task.type === 'script' ? { script: task.script } : { op: task.op, name: task.model.name, ...(e.code !== undefined && { code: e.code }) },
      })
    }
  }

  async close(options: { readonly force?: boolean } = {}): Promise<void> {
    if (this.#scripts) await (options.force ? this.#scripts.destroy() : this.#scripts.close())
    if (!this.#own) return
    if (options.force) await this.#pool.destroy()
    else await this.#pool.close()
  }
}
