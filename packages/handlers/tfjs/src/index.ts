/**
 * **@omega/tfjs**: TensorFlow.js layers models (kind `tfjs.layers`): put and get Sequential and
 * functional models, compiled or not; fit, partialFit, predict, predictProba and score (evaluate)
 * on the runtime, inline or in worker threads. Runs on the pure-JS cpu backend that installs
 * everywhere; `@tensorflow/tfjs-backend-wasm` or `@tensorflow/tfjs-node`, when the application has
 * installed them, are used instead (`OMEGA_TFJS_BACKEND` forces one).
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { TfjsLayersHandler } from './tfjs-handler.js'

export { TfjsLayersHandler } from './tfjs-handler.js'
export { isLayersModel, type LayersModelLike, type SymbolicTensorLike } from './layers-model-like.js'
export { tfjsBackend, type TfjsBackendName } from './tfjs-backend.js'
export type { FitParams, CompileParams } from './training-options.js'

/** Registers the `tfjs.layers` handler at built-in priority. */
const plugin: Plugin = (api) => {
  api.registerHandler(new TfjsLayersHandler(), { priority: 0 })
}
export default plugin
