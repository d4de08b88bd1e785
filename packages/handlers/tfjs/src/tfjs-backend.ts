import { loadTf } from './tfjs-runtime.js'

/** The TensorFlow.js backends omega runs on: pure JS, WebAssembly, or libtensorflow through tfjs-node. */
export type TfjsBackendName = 'cpu' | 'wasm' | 'tensorflow'

/**
 * The backend this thread's TensorFlow.js runs on, once omega has initialised it.
 *
 * @throws {OmegaError} E_UNSUPPORTED if `OMEGA_TFJS_BACKEND` forces a backend whose package is not installed or does not load
 */
export async function tfjsBackend(): Promise<TfjsBackendName> {
  return (await loadTf()).getBackend() as TfjsBackendName
}
