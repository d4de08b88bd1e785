import { readFile } from 'node:fs/promises'
import { isMainThread } from 'node:worker_threads'
import type { Env, InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common'
import { OmegaError, isMissingPackage } from '@omega/core'

/** Which onnxruntime build runs the sessions. */
export type OrtBackendName = 'onnxruntime-node' | 'onnxruntime-web'

/** @internal The part of an onnxruntime package omega uses; `onnxruntime-node` and `onnxruntime-web` share it. */
export interface OrtRuntime {
  readonly name: OrtBackendName
  readonly InferenceSession: typeof InferenceSession
  readonly Tensor: typeof OrtTensor
  readonly env: Env
  /** Creates a session from bytes or a file path (the web build reads the file first: it has no file access of its own). */
  create(source: string | Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession>
}

let loading: Promise<OrtRuntime> | undefined

/**
 * Which onnxruntime build runs this thread's ONNX sessions: `onnxruntime-node` (native, when the
 * application has installed it) or `onnxruntime-web` (WebAssembly).
 *
 * @throws {OmegaError} E_UNSUPPORTED if `OMEGA_ONNX_RUNTIME` forces a build that is not installed
 */
export async function onnxRuntime(): Promise<OrtBackendName> {
  return (await loadOrt()).name
}

/**
 * @internal
 * Loads onnxruntime once per thread: the native `onnxruntime-node` when the application has
 * installed it (fastest, optional peer dependency), else `onnxruntime-web`'s WebAssembly build,
 * which ships inside its npm package and so installs anywhere with plain `npm install`.
 * `OMEGA_ONNX_RUNTIME=node|web` forces one. Loaded lazily, so importing `@omega/onnx` stays
 * synchronous (CommonJS callers can `require` it) and costs nothing until a model is used.
 *
 * @throws {OmegaError} E_UNSUPPORTED if the forced build is not installed
 */
export function loadOrt(): Promise<OrtRuntime> {
  loading ??= pickOrt()
  return loading
}

async function pickOrt(): Promise<OrtRuntime> {
  const forced = process.env.OMEGA_ONNX_RUNTIME
  if (forced !== undefined && forced !== '' && forced !== 'node' && forced !== 'web') {
    throw new OmegaError('E_INVALID_ARGUMENT', `OMEGA_ONNX_RUNTIME must be "node" or "web", not "${forced}"`)
  }
  if (forced !== 'web') {
    try {
      return nodeRuntime(await import('onnxruntime-node'))
    } catch (err) {
      if (forced === 'node' || !isMissingPackage(err, 'onnxruntime-node')) {
        throw new OmegaError('E_UNSUPPORTED', `onnxruntime-node could not be loaded (${(err as Error).message}); install it with "npm install onnxruntime-node", or unset OMEGA_ONNX_RUNTIME to use onnxruntime-web`, { cause: err })
      }
    }
  }
  try {
    return webRuntime(await import('onnxruntime-web'))
  } catch (err) {
    throw new OmegaError('E_UNSUPPORTED', `neither onnxruntime-node nor onnxruntime-web could be loaded (${(err as Error).message}); reinstall @omega/onnx`, { cause: err })
  }
}

type OrtModule = Pick<OrtRuntime, 'InferenceSession' | 'Tensor' | 'env'>

function nodeRuntime(ort: OrtModule): OrtRuntime {
  return {
    name: 'onnxruntime-node',
    InferenceSession: ort.InferenceSession,
    Tensor: ort.Tensor,
    env: ort.env,
    create: (source, options) => (typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options)),
  }
}

/** Keys of `SessionOptions` that only the native build understands; the web build rejects unknown execution providers. */
const NATIVE_ONLY = ['intraOpNumThreads', 'interOpNumThreads', 'enableCpuMemArena'] as const

function webRuntime(ort: OrtModule): OrtRuntime {
  // Threads of the WebAssembly build are its own workers; in a pool worker the pool is the parallelism.
  if (!isMainThread) ort.env.wasm.numThreads = 1
  return {
    name: 'onnxruntime-web',
    InferenceSession: ort.InferenceSession,
    Tensor: ort.Tensor,
    env: ort.env,
    async create(source, options) {
      const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source
      const webOptions: Record<string, unknown> = { ...options }
      for (const key of NATIVE_ONLY) delete webOptions[key]
      const providers = options.executionProviders
      webOptions.executionProviders = providers?.some((p) => p === 'cpu' || p === 'wasm' || (typeof p === 'object' && (p.name === 'cpu' || p.name === 'wasm'))) || providers === undefined ? ['wasm'] : providers
      return await ort.InferenceSession.create(bytes, webOptions as InferenceSession.SessionOptions)
    },
  }
}
