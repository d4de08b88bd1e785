import type { Metadata } from '../store/metadata.js'
import { observeCall, type CallObservers } from './call-observers.js'
import { ModelProxy, type RuntimeContext } from './model-proxy.js'
import type { RunOptions, TaskOperation, TaskResult } from './runtime.js'

/**
 * The proxy `om.runtime.model()` returns: a {@link ModelProxy} whose every task (the single place
 * calls are dispatched) is reported to the instance's call observers. With no observer, a task
 * costs one size check more and allocates nothing.
 */
export class ObservedModelProxy extends ModelProxy {
  constructor(
    ctx: RuntimeContext,
    nameRef: string,
    readonly observers: CallObservers,
  ) {
    super(ctx, nameRef)
  }

  /** @internal */
  override run(op: TaskOperation, meta: Metadata, io: Parameters<ModelProxy['run']>[2], options: RunOptions, signal: AbortSignal | undefined): Promise<TaskResult> {
    if (this.observers.size === 0) return super.run(op, meta, io, options, signal)
    return observeCall(this.observers, { op, model: meta, ...(io.x && { X: io.x }), ...(io.y && { Y: io.y }) }, () => super.run(op, meta, io, options, signal))
  }
}
