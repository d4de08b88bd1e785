import { OmegaError, errors } from '../errors.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'
import { executeTask, type LiveInputs } from './execute-task.js'
import { ModelCache } from './model-cache.js'
import type { RunOptions, Runtime, Task, TaskOutcome } from './runtime.js'

/** Options the inline runtime also accepts: inputs already decoded on this thread. */
export interface InlineRunOptions extends RunOptions {
  readonly live?: LiveInputs
}

/**
 * Runs tasks on the calling thread with the same semantics as the pool (one execution path), for
 * tiny models and debugging. A signal or timeout rejects the call and nothing is stored, but
 * CPU-bound framework code already running on this thread cannot be preempted.
 */
export class InlineRuntime implements Runtime {
  readonly kind = 'inline'
  /** Inputs may be passed decoded (no copy, no encoding). */
  readonly sameThread = true
  readonly #env: { handlers: HandlerRegistry; cache: ModelCache }
  readonly #running = new Set<Promise<unknown>>()
  /** Rejects the calls running when a forced close comes (their handlers cannot be stopped). */
  readonly #stops = new Set<(err: OmegaError) => void>()

  constructor(handlers: HandlerRegistry, cacheSize = 16) {
    this.#env = { handlers, cache: new ModelCache(cacheSize) }
  }

  run(task: Task, options: InlineRunOptions = {}): Promise<TaskOutcome> {
    let signal: AbortSignal | undefined
    try {
      signal = combine(options.signal, options.timeoutMs)
    } catch (err) {
      return Promise.reject(err)
    }
    if (signal?.aborted) return Promise.reject(abortError(signal))
    // Reports after the call settled (a handler's stray timer) are dropped, as on the pool.
    let settled = false
    const report = options.onProgress
    const work = executeTask(task, this.#env, options.live, report && ((p) => settled || report(p)))
    this.#running.add(work)
    let stop: ((err: OmegaError) => void) | undefined
    // One promise the caller awaits (no async frame around it: this is every inline call's path).
    const call = new Promise<TaskOutcome>((resolve, reject) => {
      stop = reject
      this.#stops.add(reject)
      if (!signal) return void work.then(resolve, reject)
      const onAbort = (): void => reject(abortError(signal))
      signal.addEventListener('abort', onAbort, { once: true })
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
    const done = (): void => {
      settled = true
      this.#stops.delete(stop!)
      this.#running.delete(work)
    }
    call.then(done, done)
    return call
  }

  async close(options: { readonly force?: boolean } = {}): Promise<void> {
    if (options.force) {
      const reason = new OmegaError('E_ABORTED', 'the omega instance was closed while this call was running; nothing was stored')
      for (const stop of this.#stops) stop(reason)
    }
    await Promise.allSettled([...this.#running])
    await this.#env.cache.clear()
  }
}

/** One signal for a caller's signal and a timeout; its reason tells which fired. */
export function combine(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) throw errors.invalidArgument(`timeoutMs must be a positive number, got ${timeoutMs}`)
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)
  if (signal && timeout) return AbortSignal.any([signal, timeout])
  return signal ?? timeout
}

/** E_TIMEOUT if the signal's reason is a timeout, else E_ABORTED (an OmegaError reason passes through). */
export function abortError(signal: AbortSignal): OmegaError {
  const reason = signal.reason as { name?: string } | undefined
  if (OmegaError.is(reason)) return reason
  if (reason?.name === 'TimeoutError') return new OmegaError('E_TIMEOUT', 'the runtime call timed out (timeoutMs); nothing was stored', { cause: reason })
  return errors.aborted(reason)
}
