import type { DependencyContainer } from 'tsyringe'
import { CheckedBackend } from './backend/checked-backend.js'
import { MemoryBackend } from './backend/memory-backend.js'
import type { BackendFactory, StorageBackend } from './backend/storage-backend.js'
import { createContainer, resolve } from './di/container.js'
import { TOKENS } from './di/tokens.js'
import { errors } from './errors.js'
import { FileHandler } from './handler/builtin/file-handler.js'
import { JsonHandler } from './handler/builtin/json-handler.js'
import { EstimatorHandler, type EstimatorAdapter, type EstimatorClass, type RegisterEstimatorOptions } from './handler/estimator-handler.js'
import type { Handler } from './handler/handler.js'
import type { HandlerRegistry } from './handler/handler-registry.js'
import { validateBucket } from './names/validate-name.js'
import { resolveOpenOptions, type OpenOptions, type ResolvedOpenOptions } from './open-options.js'
import { loadPlugins, resolvePluginSpecifier } from './plugins/load-plugins.js'
import type { PluginApi, RegisterOptions } from './plugins/plugin.js'
import type { BackendRegistry } from './registry/backend-registry.js'
import { BUILTIN_PRIORITY, PLUGIN_PRIORITY } from './registry/registry.js'
import { GcLock } from './store/gc-lock.js'
import { ModelStore } from './store/model-store.js'
import { ObjectStore } from './store/object-store.js'
import { DatasetStore } from './store/dataset-store.js'
import { ArrowTableHandler } from './handler/builtin/arrow-table-handler.js'
import { NdarrayHandler } from './handler/builtin/ndarray-handler.js'
import type { StoreContext } from './store/store-context.js'

/** Priority of the `json` fallback handler: below every other handler of the data stores. */
const JSON_PRIORITY = -10

/** State shared by an instance and its bucket views. */
interface Shared {
  readonly container: DependencyContainer
  readonly options: ResolvedOpenOptions
  readonly backends: BackendRegistry
  readonly handlers: HandlerRegistry
  readonly lock: GcLock
  backend: CheckedBackend | undefined
}

/**
 * An omega instance: a store (LevelDB by default), its registries and its buckets.
 *
 * @example
 * ```ts
 * const om = await Omega.open()                      // LevelDB at $OMEGA_HOME or ./.omega
 * await om.models.put(model, 'iris-rf')
 * const prod = om.bucket('prod')
 * await om.models.promote('iris-rf', prod.models)
 * await om.close()
 * ```
 */
export class Omega implements PluginApi {
  readonly #shared: Shared
  /** The bucket this view is bound to (`'default'` unless opened or viewed otherwise). */
  readonly bucketName: string
  /** Models: every put is a new version (SPEC §4). */
  readonly models: ModelStore
  /** Datasets (SPEC §3): Arrow tables, tensors, files, JSON. */
  readonly datasets: DatasetStore
  /** Scripts. */
  readonly scripts: ObjectStore
  /** Jobs. */
  readonly jobs: ObjectStore

  protected constructor(shared: Shared, bucket: string) {
    this.#shared = shared
    this.bucketName = bucket
    const ctx = this.#context(bucket)
    this.models = new ModelStore(ctx, 'models', 'models/')
    this.datasets = new DatasetStore(ctx, 'datasets', 'data/')
    this.scripts = new ObjectStore(ctx, 'scripts', 'scripts/')
    this.jobs = new ObjectStore(ctx, 'jobs', 'jobs/')
  }

  /**
   * Opens an instance: loads plugins, resolves the store URL through the backend registry and
   * opens the store.
   *
   * @throws {OmegaError} E_LOCKED if another process holds the store; E_UNSUPPORTED for an unknown URL scheme
   */
  static async open(options: OpenOptions = {}): Promise<Omega> {
    const resolved = resolveOpenOptions(options)
    const plugins = resolved.plugins.map((p) => resolvePluginSpecifier(p))
    const container = createContainer({ ...resolved, plugins })
    const shared: Shared = {
      container,
      options: resolve(container, TOKENS.Options),
      backends: resolve(container, TOKENS.Backends),
      handlers: resolve(container, TOKENS.Handlers),
      lock: new GcLock(),
      backend: undefined,
    }
    registerBuiltins(shared)
    const om = new Omega(shared, resolved.bucket)
    await loadPlugins(plugins, om)
    const raw: StorageBackend =
      typeof resolved.store === 'string' ? await shared.backends.create(resolved.store, resolved) : resolved.store
    if (typeof raw !== 'object' || raw === null || !raw.blobs || !raw.meta) {
      throw errors.invalidArgument('store must be a store URL or a StorageBackend')
    }
    const backend = new CheckedBackend(raw)
    await backend.open()
    shared.backend = backend
    return om
  }

  /** An Omega bound to another bucket of the same store; `this` is unchanged. */
  bucket(name: string): Omega {
    return new Omega(this.#shared, validateBucket(name))
  }

  /** Buckets that hold at least one object, sorted. */
  async buckets(): Promise<string[]> {
    const found = new Set<string>()
    for await (const { key, doc } of this.#backend.meta.list('')) {
      if (doc.dropped === true || doc.tags !== undefined) continue
      found.add(key.slice(0, key.indexOf('/')))
    }
    return [...found].sort()
  }

  /** The store URL or location this instance uses. */
  get location(): string {
    return this.#backend.location
  }

  /** Plugin specifiers, resolved to importable URLs (what workers load). */
  get plugins(): readonly string[] {
    return this.#shared.options.plugins
  }

  /** The open options after defaults. */
  get options(): ResolvedOpenOptions {
    return this.#shared.options
  }

  /** Flushes and closes the store and releases its lock. Every view of the instance is closed. Idempotent. */
  async close(): Promise<void> {
    const backend = this.#shared.backend
    if (backend) await backend.close()
  }

  registerBackend(scheme: string, factory: BackendFactory, options: RegisterOptions = {}): void {
    if (typeof factory !== 'function') throw errors.invalidArgument(`registerBackend("${scheme}") needs a factory function`)
    this.#shared.backends.register(scheme.toLowerCase(), factory, options.priority ?? PLUGIN_PRIORITY)
  }

  registerHandler(handler: Handler, options: RegisterOptions = {}): void {
    if (!handler || typeof handler.kind !== 'string' || typeof handler.supports !== 'function') {
      throw errors.invalidArgument('registerHandler needs a handler with kind, stores, supports, serialize and deserialize')
    }
    this.#shared.handlers.register(handler.kind, handler, options.priority ?? PLUGIN_PRIORITY)
  }

  registerEstimator<M extends object>(
    name: string,
    cls: EstimatorClass<M>,
    adapter?: EstimatorAdapter<M>,
    options: RegisterEstimatorOptions & RegisterOptions = {},
  ): void {
    const handler = new EstimatorHandler(name, cls, adapter, options)
    this.#shared.handlers.register(handler.kind, handler as unknown as Handler, options.priority ?? PLUGIN_PRIORITY)
  }

  /** The handler registry, for runtimes that execute models. @internal */
  get handlers(): HandlerRegistry {
    return this.#shared.handlers
  }

  get #backend(): CheckedBackend {
    const backend = this.#shared.backend
    if (!backend) throw errors.invalidArgument('the instance is not open yet')
    return backend
  }

  #context(bucket: string): StoreContext {
    const shared = this.#shared
    return {
      get backend(): CheckedBackend {
        if (!shared.backend) throw errors.invalidArgument('the instance is not open yet')
        return shared.backend
      },
      handlers: shared.handlers,
      lock: shared.lock,
      bucket,
    }
  }
}

function registerBuiltins(shared: Shared): void {
  shared.backends.register(MemoryBackend.SCHEME, (url) => new MemoryBackend(url.slice('memory:'.length) || undefined), BUILTIN_PRIORITY)
  shared.handlers.register('arrow.table', new ArrowTableHandler(), BUILTIN_PRIORITY)
  shared.handlers.register('ndarray', new NdarrayHandler(), BUILTIN_PRIORITY)
  shared.handlers.register('file', new FileHandler(), BUILTIN_PRIORITY)
  shared.handlers.register('json', new JsonHandler(), JSON_PRIORITY)
}
