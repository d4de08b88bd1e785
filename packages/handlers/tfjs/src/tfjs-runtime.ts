import { isMainThread } from 'node:worker_threads'
import type * as Core from '@tensorflow/tfjs-core'
import type * as Layers from '@tensorflow/tfjs-layers'
import { OmegaError, isMissingPackage } from '@omega/core'
import type { TfjsBackendName } from './tfjs-backend.js'

/** @internal The tfjs this thread uses: tfjs-core's API plus tfjs-layers' loader. */
export type Tf = typeof Core & Pick<typeof Layers, 'loadLayersModel'>

const BACKENDS: readonly TfjsBackendName[] = ['cpu', 'wasm', 'tensorflow']
const PACKAGE: Record<TfjsBackendName, string> = { cpu: '@tensorflow/tfjs-backend-cpu', wasm: '@tensorflow/tfjs-backend-wasm', tensorflow: '@tensorflow/tfjs-node' }

let loading: Promise<Tf> | undefined

/**
 * @internal
 * Loads TensorFlow.js once per thread (`@tensorflow/tfjs-core` and `-layers`: the packages the
 * `@tensorflow/tfjs` bundle itself loads, so an application's tfjs and omega's are the same) and picks its backend:
 * - `OMEGA_TFJS_BACKEND=cpu|wasm|tensorflow` forces one (its package must be installed);
 * - else, on the main thread, a backend the application already initialised is kept (its choice);
 * - else `tensorflow` if the application installed `@tensorflow/tfjs-node` (native, fastest),
 *   `wasm` if it installed `@tensorflow/tfjs-backend-wasm` and it loads, else the pure-JS `cpu`,
 *   which installs everywhere. Loaded lazily: importing `@omega/tfjs` costs nothing until a model is used.
 */
export function loadTf(): Promise<Tf> {
  loading ??= pick()
  return loading
}

async function pick(): Promise<Tf> {
  const forced = process.env.OMEGA_TFJS_BACKEND
  if (forced !== undefined && forced !== '' && !BACKENDS.includes(forced as TfjsBackendName)) {
    throw new OmegaError('E_INVALID_ARGUMENT', `OMEGA_TFJS_BACKEND must be one of ${BACKENDS.join(', ')}, not "${forced}"`)
  }
  const tf = await importTf()
  if (forced) {
    await use(tf, forced as TfjsBackendName, true)
    return tf
  }
  // backendName is set only once a backend is initialised: reading it initialises nothing.
  const chosen = (tf.engine() as unknown as { backendName?: string | null }).backendName
  if (isMainThread && chosen) return tf
  if ((await use(tf, 'tensorflow', false)) || (await use(tf, 'wasm', false))) return tf
  await use(tf, 'cpu', true)
  return tf
}

async function importTf(): Promise<Tf> {
  const load = async <T>(specifier: string): Promise<T> => {
    try {
      const ns = (await import(specifier)) as T & { default?: T }
      // tfjs ships CommonJS for Node: its exports may arrive as the default export only.
      return ns.default !== undefined && (ns as Record<string, unknown>).version === undefined ? ns.default : ns
    } catch (err) {
      throw new OmegaError('E_UNSUPPORTED', `${specifier} could not be loaded (${(err as Error).message}); run "npm install @tensorflow/tfjs" (or ${specifier})`, { cause: err })
    }
  }
  const [core, layers] = await Promise.all([load<typeof Core>('@tensorflow/tfjs-core'), load<typeof Layers>('@tensorflow/tfjs-layers')])
  return { ...core, loadLayersModel: layers.loadLayersModel }
}

/** Registers (by importing its package) and selects a backend; false if absent and not required. */
async function use(tf: Tf, backend: TfjsBackendName, required: boolean): Promise<boolean> {
  const specifier = PACKAGE[backend]
  try {
    await import(specifier)
    if (await tf.setBackend(backend)) {
      // The cpu backend's first write tells Node users to install tfjs-node, which downloads
      // libtensorflow at install and fails offline; omega chose cpu knowingly (once per worker otherwise).
      if (backend === 'cpu') Object.assign(tf.backend(), { firstUse: false })
      return true
    }
    throw new Error(`tf.setBackend("${backend}") failed`)
  } catch (err) {
    if (!required && isMissingPackage(err, specifier)) return false
    if (!required) {
      // Installed but broken (tfjs-node without its native library): say so once, fall back.
      process.emitWarning(`${specifier} is installed but could not be used (${(err as Error).message}); omega uses another TensorFlow.js backend`, { code: 'OMEGA_TFJS_BACKEND' })
      return false
    }
    throw new OmegaError('E_UNSUPPORTED', `the TensorFlow.js backend "${backend}" could not be used (${(err as Error).message}); install ${specifier} or unset OMEGA_TFJS_BACKEND`, { cause: err })
  }
}
