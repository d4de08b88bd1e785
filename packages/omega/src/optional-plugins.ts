import { OmegaError, isFileRef, isMissingPackage, type BackendFactory, type Handler, type Plugin, type PluginApi, type RuntimeFactory, type StoreName } from '@omega/core'

/**
 * A framework handler that `@omega/omega` registers when the application has installed its package,
 * and otherwise stands in for with a placeholder of the same kind: a put of such a model, or a get
 * of one stored elsewhere, is then E_UNSUPPORTED naming the package to install, not "no handler".
 * Heavy frameworks stay opt-in this way: `npm install @omega/omega` never pulls them in.
 */
interface OptionalPlugin {
  /** The npm package whose default export is the plugin. */
  readonly specifier: string
  /** The kind its handler owns. */
  readonly kind: string
  readonly stores: readonly StoreName[]
  /** What the framework is called in messages. */
  readonly framework: string
  /** Values that are clearly meant for this framework (cheap, no I/O). */
  readonly recognises: (value: unknown) => boolean
}

const OPTIONAL_PLUGINS: readonly OptionalPlugin[] = [
  {
    specifier: '@omega/onnx',
    kind: 'onnx.model',
    stores: ['models'],
    framework: 'ONNX models',
    recognises: (value) => value instanceof Uint8Array || (isFileRef(value) && value.path.toLowerCase().endsWith('.onnx')),
  },
  {
    specifier: '@omega/tfjs',
    kind: 'tfjs.layers',
    stores: ['models'],
    framework: 'TensorFlow.js models',
    // A layers model by shape (any copy of tfjs), as @omega/tfjs recognises it.
    recognises: (value) =>
      typeof value === 'object' && value !== null && Array.isArray((value as { layers?: unknown }).layers) &&
      ['save', 'predict', 'fit', 'compile', 'getConfig'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function'),
  },
]

/**
 * A storage backend registered the same way: when its package is absent, opening a store of its
 * scheme is E_UNSUPPORTED naming the package (the AWS SDK under @omega/s3 stays opt-in).
 */
interface OptionalBackend {
  readonly specifier: string
  readonly scheme: string
  /** What the stores are called in messages. */
  readonly stores: string
}

const OPTIONAL_BACKENDS: readonly OptionalBackend[] = [{ specifier: '@omega/s3', scheme: 's3', stores: 'S3 stores (s3://bucket/prefix)' }]

/**
 * A runtime registered the same way: when its package is absent, `runtime: { type }` is
 * E_UNSUPPORTED naming the package (BullMQ and its Redis client stay opt-in under @omega/bullmq).
 */
interface OptionalRuntime {
  readonly specifier: string
  readonly type: string
  /** What the runtime is called in messages. */
  readonly what: string
}

const OPTIONAL_RUNTIMES: readonly OptionalRuntime[] = [{ specifier: '@omega/bullmq', type: 'bullmq', what: 'The bullmq runtime (worker processes through Redis)' }]

/** Placeholders outrank nothing: a user handler for the same values wins. */
const PLACEHOLDER_PRIORITY = -1000

/** Registers each optional plugin that is installed, and a placeholder for each one that is not. */
export async function registerOptionalPlugins(api: PluginApi): Promise<void> {
  for (const optional of OPTIONAL_PLUGINS) {
    const plugin = await importIfInstalled(optional.specifier)
    if (plugin) await plugin(api)
    else api.registerHandler(placeholder(optional), { priority: PLACEHOLDER_PRIORITY })
  }
  for (const optional of OPTIONAL_BACKENDS) {
    const plugin = await importIfInstalled(optional.specifier)
    if (plugin) await plugin(api)
    else api.registerBackend(optional.scheme, missingBackend(optional), { priority: PLACEHOLDER_PRIORITY })
  }
  for (const optional of OPTIONAL_RUNTIMES) {
    const plugin = await importIfInstalled(optional.specifier)
    if (plugin) await plugin(api)
    else api.registerRuntime(optional.type, missingRuntime(optional), { priority: PLACEHOLDER_PRIORITY })
  }
}

function missingRuntime(optional: OptionalRuntime): RuntimeFactory {
  return () => {
    throw new OmegaError('E_UNSUPPORTED', `${optional.what} needs the package ${optional.specifier}, which is not installed; run "npm install ${optional.specifier}" and open omega again`, {
      details: { runtime: optional.type, package: optional.specifier },
    })
  }
}

function missingBackend(optional: OptionalBackend): BackendFactory {
  return (url) => {
    throw new OmegaError('E_UNSUPPORTED', `${optional.stores} need the package ${optional.specifier}, which is not installed; run "npm install ${optional.specifier}" and open ${url} again`, {
      details: { store: url, package: optional.specifier },
    })
  }
}

async function importIfInstalled(specifier: string): Promise<Plugin | undefined> {
  try {
    const module = (await import(specifier)) as { default: Plugin }
    return module.default
  } catch (err) {
    if (isMissingPackage(err, specifier)) return undefined
    throw new OmegaError('E_UNSUPPORTED', `${specifier} is installed but could not be loaded: ${(err as Error).message}`, { cause: err })
  }
}

function placeholder(optional: OptionalPlugin): Handler {
  const missing = (op: string): OmegaError =>
    new OmegaError('E_UNSUPPORTED', `${optional.framework} (kind ${optional.kind}) need the package ${optional.specifier}, which is not installed; run "npm install ${optional.specifier}" and reopen omega to ${op}`, {
      details: { kind: optional.kind, package: optional.specifier, op },
    })
  return {
    kind: optional.kind,
    stores: optional.stores,
    supports: optional.recognises,
    serialize: () => Promise.reject(missing('put them')),
    deserialize: () => Promise.reject(missing('load them')),
  }
}
