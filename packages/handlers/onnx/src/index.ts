/**
 * **@omega/onnx**: ONNX models on onnxruntime: the native `onnxruntime-node` when the application
 * has installed it, else the WebAssembly build `onnxruntime-web`. Put a model from bytes or
 * `{ path }`; get an {@link OnnxModel} that predicts; run it by name with
 * `om.runtime.model(name).predict(X)`.
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { OnnxHandler } from './onnx-handler.js'

export { OnnxHandler, type OnnxSessionOptions } from './onnx-handler.js'
export { OnnxModel, type OnnxValueInfo, type OnnxPredictOptions, type OnnxInputs, type OnnxSession, type OrtTensor, type OrtTensorClass } from './onnx-model.js'
export { readOnnxHeader, type OnnxHeader } from './onnx-header.js'
export { onnxRuntime, type OrtBackendName } from './ort-runtime.js'

/** Registers the `onnx.model` handler at built-in priority. */
const plugin: Plugin = (api) => {
  api.registerHandler(new OnnxHandler(), { priority: 0 })
}
export default plugin
