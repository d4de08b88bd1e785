import { setMaxListeners } from 'node:events'
import { errors, OmegaError } from '../errors.js'
import type { DatasetStore } from '../store/dataset-store.js'
import type { ModelStore } from '../store/model-store.js'
import { ModelProxy, type RuntimeContext } from './model-proxy.js'
import type { Runtime } from './runtime.js'
import type { ResolvedModels } from './resolved-models.js'

/**
 * `om.runtime`: runs models by name on the instance's runtime (a worker pool by default, or
 * inline). The runtime is started on first use, so opening an instance stays cheap.
 */
export class RuntimeFacade {
  readonly #ctx: RuntimeContext

  constructor(models: ModelStore, datasets: DatasetStore, shared: RuntimeState) {
    this.#ctx = {
      models,
      datasets,
      runtime: () => shared.runtime(),
      track: (fn, signal) => shared.track(fn, signal),
      version: (nameRef) => shared.resolved.version(models, nameRef),
    }
  }

  /** A proxy for the model `name` (`name@3`, `name@production`, `name^` …). Nothing is checked until the first call. */
  model(name: string): ModelProxy {
    if (typeof name !== 'string' || name === '') throw errors.invalidArgument('om.runtime.model(name) needs a model name')
    return new ModelProxy(this.#ctx, name)
  }
}

/** The runtime of an instance and its running calls; shared by its bucket views (created by `Omega.open`). */
export class RuntimeState {
  #runtime: Promise<Runtime> | undefined
  readonly #running = new Set<{ work: Promise<unknown>; controller: AbortController | undefined }>()
  /** Aborted by close with abort: the signal of every call whose caller gave none. */
  readonly #closing = new AbortController()
  #closed = false

  constructor(
    readonly create: () => Promise<Runtime>,
    /** Model names resolved by earlier calls. */
    readonly resolved: ResolvedModels,
  ) {
    // Every running call without a signal of its own listens to this one.
    setMaxListeners(0, this.#closing.signal)
  }

  /** The runtime, started on first use (also by calls already running when close() began). */
  runtime(): Promise<Runtime> {
    this.#runtime ??= this.create()
    return this.#runtime
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
    }
    await Promise.allSettled([...this.#running].map((r) => r.work))
    const runtime = await this.#runtime?.catch(() => undefined)
    await runtime?.close({ force: abort })
  }
}

function closedError(): OmegaError {
  return new OmegaError('E_ABORTED', 'the omega instance is closed; open a new one with Omega.open()')
}
