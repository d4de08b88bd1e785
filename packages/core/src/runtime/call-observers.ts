import type { Metadata } from '../store/metadata.js'
import type { ModelInput } from './task-codec.js'
import type { TaskOperation, TaskResult } from './runtime.js'

/**
 * X or Y of an observed call: the data as the model gets it, and where it came from (a dataset
 * name as given, with the version read) when it was given by name.
 */
export interface ObservedInput {
  readonly input: ModelInput
  readonly name?: string
  readonly version?: number
  readonly rows: number
}

/** One task the runtime is about to run on a model (a call, one chunk of a partialFit, or one gridsearch fold). */
export interface ObservedCall {
  readonly op: TaskOperation
  /** The model version the task runs on (its `attributes` carry e.g. `tracking`). */
  readonly model: Metadata
  readonly X?: ObservedInput
  readonly Y?: ObservedInput
}

/** Told how one observed call ended. Both methods run synchronously on the calling thread: keep them cheap. */
export interface CallWatch {
  success(result: TaskResult, durationMs: number): void
  failure(error: unknown, durationMs: number): void
}

/**
 * Observes runtime calls, in the application (not in workers), whatever the runtime (inline, pool,
 * queue). `onCall` runs synchronously just before the task is dispatched and returns a
 * {@link CallWatch} to hear how it ended, or `undefined` to ignore it. An observer must not slow
 * or fail calls: anything it throws is swallowed, so buffer work and do it off the hot path.
 * Inputs that omega owns may be transferred to a worker after `onCall` returns: copy what you keep.
 */
export interface CallObserver {
  onCall(call: ObservedCall): CallWatch | undefined
  /** Awaited when the instance closes, after running calls ended and before the store closes (flush buffers here). */
  close?(): Promise<void>
}

/** The observers of one instance (shared by its bucket views). With none, a call costs one size check. */
export class CallObservers {
  readonly #observers = new Set<CallObserver>()

  /** Adds an observer; the returned function removes it. */
  add(observer: CallObserver): () => void {
    this.#observers.add(observer)
    return () => void this.#observers.delete(observer)
  }

  get size(): number {
    return this.#observers.size
  }

  /** Calls every observer's `onCall`; the watches of those that want the call, or undefined. @internal */
  begin(call: ObservedCall): CallWatch[] | undefined {
    let watches: CallWatch[] | undefined
    for (const observer of this.#observers) {
      try {
        const watch = observer.onCall(call)
        if (watch) (watches ??= []).push(watch)
      } catch {
        // An observer never fails the call it observes.
      }
    }
    return watches
  }

  /** Reports the end of a call to its watches. @internal */
  end(watches: readonly CallWatch[], started: number, outcome: { ok: true; result: TaskResult } | { ok: false; error: unknown }): void {
    const ms = performance.now() - started
    for (const watch of watches) {
      try {
        if (outcome.ok) watch.success(outcome.result, ms)
        else watch.failure(outcome.error, ms)
      } catch {
        // As above.
      }
    }
  }

  /** Closes every observer (errors are swallowed: closing the instance must not fail on them). @internal */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#observers].map(async (o) => await o.close?.()))
  }
}

/** Runs `work` with `observers` told of `call` and of how it ended. @internal */
export async function observeCall(observers: CallObservers, call: ObservedCall, work: () => Promise<TaskResult>): Promise<TaskResult> {
  const watches = observers.begin(call)
  if (!watches) return await work()
  const started = performance.now()
  try {
    const result = await work()
    observers.end(watches, started, { ok: true, result })
    return result
  } catch (error) {
    observers.end(watches, started, { ok: false, error })
    throw error
  }
}
