import type { DependencyContainer } from 'tsyringe'
import { exportArchive, type ArchiveHost, type ExportOptions, type ExportReport } from './archive/export-archive.js'
import { importArchive, type ImportOptions, type ImportReport } from './archive/import-archive.js'
import { CheckedBackend } from './backend/checked-backend.js'
import type { BackendFactory, StorageBackend } from './backend/storage-backend.js'
import { createContainer, resolve } from './di/container.js'
import { TOKENS } from './di/tokens.js'
import { errors } from './errors.js'
import type { EstimatorAdapter, EstimatorClass, RegisterEstimatorOptions } from './handler/estimator-handler.js'
import type { Handler } from './handler/handler.js'
import type { HandlerRegistry } from './handler/handler-registry.js'
import { validateBucket } from './names/validate-name.js'
import { resolveOpenOptions, type OpenOptions, type ResolvedOpenOptions, type RuntimeSpec } from './open-options.js'
import { resolvePluginSpecifier } from './plugins/load-plugins.js'
import type { PluginApi, RegisterOptions } from './plugins/plugin.js'
import { PluginHost } from './plugins/plugin-host.js'
import { InlineRuntime } from './runtime/inline-runtime.js'
import { RuntimeFacade, RuntimeState } from './runtime/runtime-facade.js'
import { ResolvedModels } from './runtime/resolved-models.js'
import type { Runtime, RuntimeFactory } from './runtime/runtime.js'
import { DatasetStore } from './store/dataset-store.js'
import { fsck, type FsckOptions, type FsckReport } from './store/fsck.js'
import { refsComplete } from './store/blob-refs.js'
import { ModelStore } from './store/model-store.js'
import { JobStore } from './jobs/job-store.js'
import { Scheduler } from './jobs/scheduler.js'
import { ScriptProxy, type ScriptRunContext } from './runtime/script-proxy.js'
import { ScriptStore } from './scripts/script-store.js'
import { HeadCache, type StoreContext } from './store/store-context.js'

/** State shared by an instance and its bucket views. */
interface Shared {
  readonly container: DependencyContainer
  readonly options: ResolvedOpenOptions
  readonly host: PluginHost
  readonly runtime: RuntimeState
  readonly heads: HeadCache
  backend: CheckedBackend | undefined
  /** One scheduler per bucket, shared by that bucket's views; close() stops them. */
  readonly schedulers: Map<string, Scheduler>
  /** Every document holds its blobs in reference records (see store/blob-refs.ts). */
  refsComplete: boolean
}

/** Options of {@link Omega.close}. */
export interface CloseOptions {
  /** Abort running runtime calls (they reject with E_ABORTED and store nothing) instead of waiting for them. @default false */
  readonly abortRunning?: boolean
}

/**
 * An omega instance: a store (LevelDB by default), its registries, its runtime and its buckets.
 *
 * @example
 * ```ts
 * const om = await Omega.open()                      // LevelDB at $OMEGA_HOME or ./.omega
 * await om.models.put(model, 'iris-rf')
 * await om.runtime.model('iris-rf').fit('iris[^target]', 'iris[target]')
 * await om.models.promote('iris-rf', om.bucket('prod').models)
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
  /** Scripts: ES modules exporting `run(om, args)`, stored as data (SPEC §6). */
  readonly scripts: ScriptStore
  /** Jobs: scripts on schedules (`daily at 06:00`, cron) and every script's run history (SPEC §6). */
  readonly jobs: JobStore
  /** Runs models by name: `om.runtime.model('m').fit('data[^y]', 'data[y]')` (SPEC §6). */
  readonly runtime: RuntimeFacade

  protected constructor(shared: Shared, bucket: string) {
    this.#shared = shared
    this.bucketName = bucket
    const ctx = this.#context(bucket)
    this.models = new ModelStore(ctx, 'models', 'models/')
    this.datasets = new DatasetStore(ctx, 'datasets', 'data/')
    this.scripts = new ScriptStore(ctx, 'scripts', 'scripts/')
    this.jobs = new JobStore(ctx, this.scripts)
    const run: ScriptRunContext = {
      om: this,
      scripts: this.scripts,
      jobs: this.jobs,
      runtime: () => shared.runtime.runtime(),
      track: (fn, signal) => shared.runtime.track(fn, signal),
    }
    const scheduler = (): Scheduler => {
      let found = shared.schedulers.get(bucket)
      if (!found) {
        found = new Scheduler(this.jobs, (job, occurrence) =>
          run.track(async (signal) => await new ScriptProxy(run, job.script).execute(job.args, signal ? { signal } : {}, { job: job.name, occurrence }), undefined),
        )
        shared.schedulers.set(bucket, found)
      }
      return found
    }
    this.runtime = new RuntimeFacade(this.models, this.datasets, shared.runtime, shared.host.handlers, {
      script: (name) => new ScriptProxy(run, name),
      get scheduler() {
        return scheduler()
      },
    })
  }

  /**
   * Opens an instance: loads plugins, resolves the store URL through the backend registry and
   * opens the store. The runtime starts on first use.
   *
   * @throws {OmegaError} E_LOCKED if another process holds the store; E_UNSUPPORTED for an unknown URL scheme or runtime
   */
  static async open(options: OpenOptions = {}): Promise<Omega> {
    const resolved = resolveOpenOptions(options)
    const plugins = resolved.plugins.map((p) => resolvePluginSpecifier(p))
    const container = createContainer({ ...resolved, plugins })
    const host = new PluginHost(resolve(container, TOKENS.Backends), resolve(container, TOKENS.Handlers))
    await host.load(plugins)
    const opts = resolve(container, TOKENS.Options)
    const runtimeFactory = chooseRuntime(opts, host, () => shared.backend)
    const heads = new HeadCache()
    const shared: Shared = {
      container,
      options: opts,
      host,
      runtime: new RuntimeState(async () => await runtimeFactory(), new ResolvedModels(heads, () => shared.backend?.supports.multiProcess === false)),
      heads,
      backend: undefined,
      schedulers: new Map(),
      refsComplete: false,
    }
    const raw: StorageBackend = typeof resolved.store === 'string' ? await host.backends.create(resolved.store, resolved) : resolved.store
    if (typeof raw !== 'object' || raw === null || !raw.blobs || !raw.meta) throw errors.invalidArgument('store must be a store URL or a StorageBackend')
    const backend = new CheckedBackend(raw)
    await backend.open()
    shared.backend = backend
    shared.refsComplete = await refsComplete(backend)
    // A runtime named with settings (a queue) starts now: a missing package, an embedded store it
    // cannot share or an unreachable server fails the open, not the first call.
    if (isRuntimeSpec(opts.runtime)) {
      try {
        await shared.runtime.runtime()
      } catch (err) {
        await backend.close()
        throw err
      }
    }
    // `this`: a subclass (e.g. @omega/omega's, with experiments and monitors) gets instances of itself.
    return new this(shared, resolved.bucket)
  }

  /** An Omega bound to another bucket of the same store; `this` is unchanged. */
  bucket(name: string): Omega {
    return new (this.constructor as new (shared: Shared, bucket: string) => Omega)(this.#shared, validateBucket(name))
  }

  /** Buckets that hold at least one object, sorted. */
  async buckets(): Promise<string[]> {
    const found = new Set<string>()
    for await (const { key, doc } of this.#backend.meta.list('')) {
      // Only objects' documents count: not tombstones, tags, head hints, builder or reference records.
      if (doc.dropped === true || typeof doc.kind !== 'string' || key.startsWith('#')) continue
      found.add(key.slice(0, key.indexOf('/')))
    }
    return [...found].sort()
  }

  /**
   * Checks the whole store (every bucket): reads every referenced blob and verifies its sha256,
   * and reports `integrity` (checksum mismatch), `missing-blob`, `bad-document` (unreadable
   * metadata), `orphan` (bytes or reference records nothing uses) and `stale-temp` (leftovers of
   * interrupted writes) problems, each with the object's name or key. With `repair: true` it
   * removes orphans and stale temps older than `graceMs` (default one hour) — only what nothing
   * references; it never touches objects' documents or referenced bytes. A second run after a
   * repair finds nothing to repair. Safe while other processes use the store, as long as no put
   * takes longer than `graceMs`.
   *
   * @example
   * ```ts
   * const report = await om.fsck()                  // { checked, bytes, problems: [{ kind, name?, key?, detail }] }
   * await om.fsck({ repair: true })                 // removes only what nothing references
   * ```
   * @throws {OmegaError} E_INVALID_ARGUMENT for a bad `graceMs`; E_ABORTED; E_BACKEND if the store fails
   */
  async fsck(options: FsckOptions = {}): Promise<FsckReport> {
    const { refsComplete, ...report } = await fsck(this.#backend, options)
    if (refsComplete && options.repair === true) this.#shared.refsComplete = true
    return report
  }

  /**
   * Writes the objects `patterns` match (`['models/iris-*', 'data/iris']`) with their metadata,
   * versions (`versions: 'all' | 'latest'`, default all) and tags to a directory or `.tar.gz`,
   * with a manifest of every blob's sha256 and size (SPEC §10).
   */
  async export(patterns: string | readonly string[], path: string, options: ExportOptions = {}): Promise<ExportReport> {
    return await exportArchive(this.#archiveHost(this), patterns, path, options)
  }

  /**
   * Imports an archive of {@link Omega.export} into this bucket (or `bucket`): every checksum is
   * verified before anything is published, and a failure publishes nothing.
   */
  async import(path: string, options: ImportOptions = {}): Promise<ImportReport> {
    return await importArchive(this.#archiveHost(options.bucket === undefined ? this : this.bucket(options.bucket)), path, options)
  }

  #archiveHost(om: Omega): ArchiveHost {
    return { stores: [om.models, om.datasets, om.scripts, om.jobs], backend: this.#backend, bucket: om.bucketName, storeUrl: om.models.storeUrl }
  }

  /** The store location this instance uses. */
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

  /**
   * Waits for running runtime calls (or aborts them with `abortRunning`), stops the runtime's
   * threads, flushes and closes the store and releases its lock. Every view of the instance is
   * closed. Idempotent.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    // Timers stop at once; the runs they started are waited for (or aborted) with the runtime's calls.
    const stopping = Promise.all([...this.#shared.schedulers.values()].map((s) => s.stop()))
    await this.#shared.runtime.close(options.abortRunning === true)
    await stopping
    const backend = this.#shared.backend
    if (backend) await backend.close()
  }

  registerBackend(scheme: string, factory: BackendFactory, options: RegisterOptions = {}): void {
    this.#shared.host.registerBackend(scheme, factory, options)
  }

  /** Registers a handler in this instance. It reaches pool workers only if registered by a plugin module. */
  registerHandler(handler: Handler, options: RegisterOptions = {}): void {
    this.#shared.host.registerHandler(handler, options)
  }

  /** Registers an estimator class in this instance. It reaches pool workers only if registered by a plugin module. */
  registerEstimator<M extends object>(
    name: string,
    cls: EstimatorClass<M>,
    adapter?: EstimatorAdapter<M>,
    options: RegisterEstimatorOptions & RegisterOptions = {},
  ): void {
    this.#shared.host.registerEstimator(name, cls, adapter, options)
  }

  registerRuntime(name: string, factory: RuntimeFactory, options: RegisterOptions = {}): void {
    this.#shared.host.registerRuntime(name, factory, options)
  }

  /** The handler registry. @internal */
  get handlers(): HandlerRegistry {
    return this.#shared.host.handlers
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
      handlers: shared.host.handlers,
      heads: shared.heads,
      bucket,
      get refsComplete(): boolean {
        return shared.refsComplete
      },
    }
  }
}

/**
 * `runtime: 'pool'` needs a registered pool (the @omega/pool plugin; @omega/omega includes it),
 * `'inline'` is built in, and a Runtime object is used as given. With no option, the pool is used
 * when registered, else inline.
 */
function chooseRuntime(options: ResolvedOpenOptions, host: PluginHost, store: () => StorageBackend | undefined): () => Promise<Runtime> {
  const choice = options.runtime
  if (typeof choice === 'object' && choice !== null && !isRuntimeSpec(choice)) return async () => choice
  const name = isRuntimeSpec(choice) ? choice.type : (choice ?? (host.runtimes.find('pool') ? 'pool' : 'inline'))
  if (name === 'inline') return async () => new InlineRuntime(host.handlers)
  const factory = host.runtimes.get(name)
  return async () => {
    const backend = store()
    return await factory({ plugins: options.plugins, ...(options.threads !== undefined && { threads: options.threads }), options, ...(backend && { store: backend }) })
  }
}

/** A registered runtime named with its settings (a Runtime object has `run`). */
function isRuntimeSpec(value: unknown): value is RuntimeSpec {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Runtime>).run !== 'function' && typeof (value as Partial<RuntimeSpec>).type === 'string'
}
