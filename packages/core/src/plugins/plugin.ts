import type { BackendFactory } from '../backend/storage-backend.js'
import type { EstimatorAdapter, EstimatorClass, RegisterEstimatorOptions } from '../handler/estimator-handler.js'
import type { Handler } from '../handler/handler.js'
import type { RuntimeFactory } from '../runtime/runtime.js'

/** Registration options: higher priority wins; built-ins use 0, plugins default to 100. */
export interface RegisterOptions {
  readonly priority?: number
}

/** What a plugin gets: the registries of the Omega instance (or worker) loading it. */
export interface PluginApi {
  /** Makes `scheme:` store URLs open with `factory`. */
  registerBackend(scheme: string, factory: BackendFactory, options?: RegisterOptions): void
  /** Adds a handler; it is consulted before built-ins of lower priority. */
  registerHandler(handler: Handler, options?: RegisterOptions): void
  /** Registers an estimator class by name; only the name is stored with its models, never code. */
  registerEstimator<M extends object>(
    name: string,
    cls: EstimatorClass<M>,
    adapter?: EstimatorAdapter<M>,
    options?: RegisterEstimatorOptions & RegisterOptions,
  ): void
  /** Makes `Omega.open({ runtime: name })` use this runtime (the pool plugin registers `pool`). */
  registerRuntime(name: string, factory: RuntimeFactory, options?: RegisterOptions): void
}

/**
 * A plugin is an ES module whose default export is this function. It is named by specifier (path,
 * file URL or package name) in `Omega.open({ plugins })` and imported in the application and in
 * every worker thread, so user code is never stored or sent as data.
 */
export type Plugin = (api: PluginApi) => void | Promise<void>
