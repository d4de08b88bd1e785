import { errors } from '../errors.js'
import type { BackendFactory } from '../backend/storage-backend.js'
import { MemoryBackend, memoryBackendFactory } from '../backend/memory-backend.js'
import { ArrowTableHandler } from '../handler/builtin/arrow-table-handler.js'
import { FileHandler } from '../handler/builtin/file-handler.js'
import { JsonHandler } from '../handler/builtin/json-handler.js'
import { NdarrayHandler } from '../handler/builtin/ndarray-handler.js'
import { EstimatorHandler, type EstimatorAdapter, type EstimatorClass, type RegisterEstimatorOptions } from '../handler/estimator-handler.js'
import type { Handler } from '../handler/handler.js'
import { HandlerRegistry } from '../handler/handler-registry.js'
import { BackendRegistry } from '../registry/backend-registry.js'
import { BUILTIN_PRIORITY, PLUGIN_PRIORITY, Registry } from '../registry/registry.js'
import type { RuntimeFactory } from '../runtime/runtime.js'
import { loadPlugins } from './load-plugins.js'
import { SCRIPT_KIND, ScriptHandler } from '../scripts/script-handler.js'
import type { PluginApi, RegisterOptions } from './plugin.js'

/** Priority of the `json` fallback handler: below every other handler of the data stores. */
const JSON_PRIORITY = -10

/**
 * The registries of one Omega instance or one worker thread, and the {@link PluginApi} that
 * plugins register into. Built-in kinds are registered at construction; plugins are loaded by
 * specifier, so a worker that loads the same list ends up with the same registries.
 */
export class PluginHost implements PluginApi {
  readonly backends: BackendRegistry
  readonly handlers: HandlerRegistry
  readonly runtimes = new Registry<RuntimeFactory>('runtime')

  constructor(backends: BackendRegistry = new BackendRegistry(), handlers: HandlerRegistry = new HandlerRegistry()) {
    this.backends = backends
    this.handlers = handlers
    backends.register(MemoryBackend.SCHEME, memoryBackendFactory, BUILTIN_PRIORITY)
    handlers.register('arrow.table', new ArrowTableHandler(), BUILTIN_PRIORITY)
    handlers.register('ndarray', new NdarrayHandler(), BUILTIN_PRIORITY)
    handlers.register('file', new FileHandler(), BUILTIN_PRIORITY)
    handlers.register('json', new JsonHandler(), JSON_PRIORITY)
    handlers.register(SCRIPT_KIND, new ScriptHandler(), BUILTIN_PRIORITY)
  }

  /** Imports each plugin module and lets it register. */
  async load(specifiers: readonly string[]): Promise<void> {
    await loadPlugins(specifiers, this)
  }

  registerBackend(scheme: string, factory: BackendFactory, options: RegisterOptions = {}): void {
    if (typeof factory !== 'function') throw errors.invalidArgument(`registerBackend("${scheme}") needs a factory function`)
    this.backends.register(scheme.toLowerCase(), factory, options.priority ?? PLUGIN_PRIORITY)
  }

  registerHandler(handler: Handler, options: RegisterOptions = {}): void {
    if (!handler || typeof handler.kind !== 'string' || typeof handler.supports !== 'function') {
      throw errors.invalidArgument('registerHandler needs a handler with kind, stores, supports, serialize and deserialize')
    }
    this.handlers.register(handler.kind, handler, options.priority ?? PLUGIN_PRIORITY)
  }

  registerEstimator<M extends object>(
    name: string,
    cls: EstimatorClass<M>,
    adapter?: EstimatorAdapter<M>,
    options: RegisterEstimatorOptions & RegisterOptions = {},
  ): void {
    const handler = new EstimatorHandler(name, cls, adapter, options)
    this.handlers.register(handler.kind, handler as unknown as Handler, options.priority ?? PLUGIN_PRIORITY)
  }

  registerRuntime(name: string, factory: RuntimeFactory, options: RegisterOptions = {}): void {
    if (typeof factory !== 'function') throw errors.invalidArgument(`registerRuntime("${name}") needs a factory function`)
    this.runtimes.register(name, factory, options.priority ?? PLUGIN_PRIORITY)
  }
}
