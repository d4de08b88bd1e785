import { setMaxListeners } from 'node:events'
import { errors, OmegaError } from '../errors.js'
import type { DatasetStore } from '../store/dataset-store.js'
import type { ModelStore } from '../store/model-store.js'
import type { ModelProxy, RuntimeContext } from './model-proxy.js'
import { ObservedModelProxy } from './observed-model-proxy.js'
import type { RunOptions, Runtime } from './runtime.js'
import type { ResolvedModels } from './resolved-models.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'
import type { ModelHandler } from '../handler/handler.js'
import type { Metadata } from '../store/metadata.js'
import type { ScriptProxy } from './script-proxy.js'
import type { Scheduler } from '../jobs/scheduler.js'
import { CallObservers, type CallObserver } from './call-observers.js'
import { LABEL, type RuntimeRequirements } from './runtime-route.js'

export type { RuntimeRequirements } from './runtime-route.js'

/** Scripts and the scheduler of an instance (built by omega.ts). */
export interface ScriptFacade {
  script(name: string): ScriptProxy
  readonly scheduler: Scheduler
}

/**
 * `om.runtime`: runs models by name on the instance's runtime (a worker pool by default, or
 * inline). The runtime is started on first use, so opening an instance stays cheap.
 */
export class RuntimeFacade {
  readonly #ctx: RuntimeContext
  readonly #scripts: ScriptFacade | undefined
  readonly #observers: CallObservers
  readonly #args: [ModelStore, DatasetStore, RuntimeState, HandlerRegistry, ScriptFacade | undefined]
  readonly #label: string | undefined

  constructor(models: ModelStore, datasets: DatasetStore, shared: RuntimeState, handlers: HandlerRegistry, scripts?: ScriptFacade, requirements?: RuntimeRequirements) {
    this.#scripts = scripts
    this.#args = [models, datasets, shared, handlers, scripts]
    this.#label = requirements?.label
    this.#ctx = {
      ...(requirements?.label !== undefined && { label: requirements.label }),
      models,
      datasets,
      runtime: () => shared.runtime(),
      track: (fn, signal) => shared.track(fn, signal),
      version: (nameRef) => shared.resolved.version(models, nameRef),
      rowIndependent: (meta) => (handlers.find(meta.kind) as ModelHandler | undefined)?.rowIndependent?.(meta.kindMeta) === true,
      parts: (meta) => shared.parts(models, meta),
      closeSignal: shared.closeSignal,
    }
    this.#observers = shared.observers
  }

  /**
   * Adds an observer of every runtime call of this instance (all its bucket views); returns a
   * function that removes it. See {@link CallObserver}: this is how tracking plugins see calls.
   */
  observe(observer: CallObserver): () => void {
    return this.#observers.add(observer)
  }

  /** A proxy for the model `name` (`name@3`, `name@production`, `name^` …). Nothing is checked until the first call. */
  model(name: string): ModelProxy {
    if (typeof name !== 'string' || name === '') throw errors.invalidArgument('om.runtime.model(name) needs a model name')
    return new ObservedModelProxy(this.#ctx, name, this.#observers)
  }

  /**
   * The same facade, with its model and script calls run only where `label` is served: on the
   * bullmq runtime, by workers started with `--labels <label>`. A call on a runtime that cannot
   * route (pool, inline) is E_UNSUPPORTED; one that no worker picks up is E_TIMEOUT naming the label.
   *
   * @example
   * ```ts
   * await om.runtime.require({ label: 'gpu' }).model('big').fit('data[^y]', 'data[y]')
   * ```
   */
  require(requirements: RuntimeRequirements): RuntimeFacade {
    const label = (requirements as Partial<RuntimeRequirements> | undefined)?.label
    if (typeof label !== 'string' || !LABEL.test(label)) {
      throw errors.invalidArgument(`require({ label }) needs a label of letters, digits, "-", "_" or "." (got ${JSON.stringify(label)})`)
    }
    return new RuntimeFacade(...this.#args, { label })
  }

  /** A stored script, run by `run(args, { signal, timeoutMs })` (see {@link ScriptProxy}). Nothing is checked until the run. */
  script(name: string): ScriptProxy {
    if (typeof name !== 'string' || name === '') throw errors.invalidArgument('om.runtime.script(name) needs a script name')
    const proxy = this.#scriptFacade.script(name)
    const label = this.#label
    if (label === undefined) return proxy
    // The label travels as a run option, so jobs and direct runs route the same way.
    const run = proxy.run.bind(proxy)
    return Object.assign(proxy, { run: (args?: unknown, options: RunOptions = {}) => run(args, { ...options, label }) }) as ScriptProxy
  }

  /** Runs due jobs of this bucket in this process: `await om.runtime.scheduler.start()`. */
  get scheduler(): Scheduler {
    return this.#scriptFacade.scheduler
  }

  get #scriptFacade(): ScriptFacade {
    if (!this.#scripts) throw errors.unsupported('this runtime facade was built without scripts')
    return this.#scripts
  }
}

/** The runtime of an instance and its running calls; shared by its bucket views (created by `Omega.open`). */
export class RuntimeState {
  #runtime: Promise<Runtime> | undefined
  readonly #running = new Set<{ work: Promise<unknown>; controller: AbortController | undefined }>()
  /** Aborted by close with abort: the signal of every call whose caller gave none. */
  readonly #closing = new AbortController()
  readonly #reading = new Map<string, Promise<Record<string, Uint8Array>>>()
  #closed = false
  /** Observers of calls; closed (flushed) after running calls end, before the runtime stops. */
  readonly observers = new CallObservers()

  constructor(
    readonly create: () => Promise<Runtime>,
    /** Model names resolved by earlier calls. */
    readonly resolved: ResolvedModels,
  ) {
    // Every running call without a signal of its own listens to this one.
    setMaxListeners(0, this.#closing.signal)
  }

  /** The signal of calls whose caller gave none: aborted when the instance closes with abort. */
  get closeSignal(): AbortSignal {
    return this.#closing.signal
  }

  /** The runtime, started on first use (also by calls already running when close() began). */
  runtime(): Promise<Runtime> {
    this.#runtime ??= this.create()
    return this.#runtime
  }

  /**
   * A version's parts, read and verified once for all calls that need them at the same time (a
   * burst of batched predicts on a worker that has not cached the model yet all ask at once).
   */
  parts(models: ModelStore, meta: Metadata): Promise<Record<string, Uint8Array>> {
    const key = `${models.bucket}\0${meta.sha256}`
    let reading = this.#reading.get(key)
    if (!reading) {
      reading = models.parts(meta).finally(() => this.#reading.delete(key))
      this.#reading.set(key, reading)
    }
    return reading
  }

  /** The runtime if it was started. */
  started(): Promise<Runtime> | undefined {
    return this.#runtime
  }

  async track<T>(fn: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (this.#closed) throw closedError()
    if (signal?.aborted) throw errors.aborted(signal.reason)
    if (!signal) {
      // The common hot call: no controller of its own, close aborts it through the shared signal.
      const work = fn(this.#closing.signal)
      const entry = { work, controller: undefined }
      this.#running.add(entry)
      try {
        return await work
      } finally {
        this.#running.delete(entry)
      }
    }
    // One controller per call (aborted by the caller's signal or by close), so nothing accumulates
    // listeners on the caller's long-lived signal.
    const controller = new AbortController()
    // A gridsearch runs many tasks under one call's signal: each adds a listener.
    setMaxListeners(0, controller.signal)
    const forward = (): void => controller.abort(signal.reason)
    signal.addEventListener('abort', forward, { once: true })
    const work = fn(controller.signal)
    const entry = { work, controller }
    this.#running.add(entry)
    try {
      return await work
    } finally {
      this.#running.delete(entry)
      signal.removeEventListener('abort', forward)
    }
  }

  /** Waits for running calls, or aborts them with a clear error (`abort`), then stops the runtime. */
  async close(abort: boolean): Promise<void> {
    this.#closed = true
    if (abort) {
      const reason = new OmegaError('E_ABORTED', 'the omega instance was closed while this call was running; nothing was stored')
      this.#closing.abort(reason)
      for (const { controller } of this.#running) controller?.abort(reason)
      // Calls without a signal of their own did not hand the shared one to the runtime (thousands
      // of listeners on one signal cost O(n) each): stopping the runtime ends their tasks.
      const runtime = await this.#runtime?.catch(() => undefined)
      await runtime?.close({ force: true })
      await Promise.allSettled([...this.#running].map((r) => r.work))
      return
    }
    await Promise.allSettled([...this.#running].map((r) => r.work))
    await this.observers.close()
    const runtime = await this.#runtime?.catch(() => undefined)
    await runtime?.close({ force: false })
  }
}

function closedError(): OmegaError {
  return new OmegaError('E_ABORTED', 'the omega instance is closed; open a new one with Omega.open()')
}
