// A layers model as omega artifacts and back: tfjs's own ModelArtifacts, captured by an IOHandler
// that writes nowhere (topology, weight specs and training config as kindMeta, the weights as one part).
import type * as TF from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { OmegaError, isPlainObject, type Artifacts, type JsonObject, type StoredArtifacts } from '@omega/core'
import type { LayersModelLike } from './layers-model-like.js'
import type { Tf } from './tfjs-runtime.js'

/** The part holding the weight bytes (model weights, then optimizer state). */
export const WEIGHTS_PART = 'weights'

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, string: 0 }

/** Saves a model from any tfjs instance into artifacts; the optimizer's state too if it is compiled. */
export async function modelArtifacts(model: LayersModelLike): Promise<Artifacts> {
  const saved = await capture(model)
  const training = model.optimizer != null ? await optimizerState(model) : undefined
  const weights = concat([...buffers(saved.weightData), ...(training && !(training instanceof Error) ? training.data : [])])
  const kindMeta = {
    format: saved.format ?? 'layers-model',
    generatedBy: saved.generatedBy ?? null,
    className: model.getClassName(),
    inputs: model.inputs.map((t, i) => ({ name: model.inputNames[i] ?? t.name, shape: [...t.shape], dtype: t.dtype })),
    outputs: model.outputs.map((t, i) => ({ name: model.outputNames[i] ?? t.name, shape: [...t.shape], dtype: t.dtype })),
    compiled: training !== undefined && !(training instanceof Error),
    // A loss or optimizer tfjs cannot describe as JSON (a custom function): stored uncompiled, and said so.
    ...(training instanceof Error && { trainingConfigError: training.message }),
    modelTopology: saved.modelTopology,
    weightSpecs: [...(saved.weightSpecs ?? []), ...(training && !(training instanceof Error) ? training.specs : [])],
    ...(training && !(training instanceof Error) && { trainingConfig: training.config }),
    ...(saved.userDefinedMetadata != null && { userDefinedMetadata: saved.userDefinedMetadata }),
  }
  // tfjs artifacts are JSON by design; the round trip drops undefined members.
  return { kindMeta: JSON.parse(JSON.stringify(kindMeta)) as JsonObject, parts: { [WEIGHTS_PART]: weights } }
}

async function capture(model: LayersModelLike): Promise<TF.io.ModelArtifacts> {
  let artifacts: TF.io.ModelArtifacts | undefined
  const handler = {
    save: async (a: TF.io.ModelArtifacts) => {
      artifacts = a
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }
    },
  }
  try {
    await model.save(handler, { includeOptimizer: false })
  } catch (err) {
    throw new OmegaError('E_INVALID_ARGUMENT', `the TensorFlow.js model could not be saved: ${(err as Error).message}`, { cause: err })
  }
  return artifacts!
}

interface NamedTensorLike {
  readonly name: string
  readonly tensor: { readonly shape: number[]; readonly dtype: string; dataSync(): ArrayLike<number>; dispose(): void; assign?: unknown }
}

/**
 * The training config and the optimizer's weights, as tfjs's `save({ includeOptimizer: true })`
 * stores them (group "optimizer"), read here because tfjs 4.22's own path leaks the iteration
 * scalar it creates on every save.
 */
async function optimizerState(model: LayersModelLike): Promise<{ config: JsonObject; specs: JsonObject[]; data: ArrayBuffer[] } | Error> {
  const m = model as unknown as { getTrainingConfig(): JsonObject; optimizer: { getWeights(): Promise<NamedTensorLike[]> } }
  let named: NamedTensorLike[] = []
  try {
    const config = m.getTrainingConfig()
    named = await m.optimizer.getWeights()
    const specs: JsonObject[] = []
    const data: ArrayBuffer[] = []
    for (const { name, tensor } of named) {
      if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') throw new Error(`optimizer weight "${name}" is ${tensor.dtype}`)
      const values = tensor.dtype === 'int32' ? Int32Array.from(tensor.dataSync()) : Float32Array.from(tensor.dataSync())
      specs.push({ name, shape: [...tensor.shape], dtype: tensor.dtype, group: 'optimizer' })
      data.push(values.buffer)
    }
    return { config, specs, data }
  } catch (err) {
    return err as Error
  } finally {
    // Variables (the moments) belong to the optimizer; anything else getWeights made is ours to free.
    for (const { tensor } of named) if (typeof tensor.assign !== 'function') tensor.dispose()
  }
}

const buffers = (data: TF.io.WeightData | undefined): ArrayBuffer[] => (data === undefined ? [] : Array.isArray(data) ? data : [data])

function concat(buffers: readonly ArrayBuffer[]): Uint8Array {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0))
  let offset = 0
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset)
    offset += b.byteLength
  }
  return out
}

/**
 * Rebuilds a model with this thread's tfjs, compiled again if it was stored compiled (optimizer
 * state included). The stored JSON is checked first: the weight specs must describe exactly the
 * bytes stored, so a mismatch never reaches tfjs's loader.
 *
 * @throws {OmegaError} E_MODEL_LOAD if the metadata or the weights do not make a loadable model; E_INTEGRITY from the store if the bytes were altered
 */
export async function loadModel(tf: Tf, stored: StoredArtifacts, name: string): Promise<LayersModel> {
  const meta = stored.kindMeta
  const bad = (why: string, cause?: unknown): OmegaError =>
    new OmegaError('E_MODEL_LOAD', `stored TensorFlow.js model "${name}" cannot be loaded: ${why}; put it again`, { details: { name, kind: 'tfjs.layers' }, ...(cause !== undefined && { cause }) })
  if (!isPlainObject(meta.modelTopology)) throw bad('its metadata has no model topology')
  const specs = meta.weightSpecs
  if (!Array.isArray(specs)) throw bad('its metadata has no weight specs')
  let expected = 0
  for (const spec of specs) {
    if (!isPlainObject(spec) || typeof spec.name !== 'string' || !Array.isArray(spec.shape) || typeof spec.dtype !== 'string' || !(spec.dtype in DTYPE_BYTES) || spec.dtype === 'string') {
      throw bad(`weight spec ${JSON.stringify(spec).slice(0, 120)} is not a numeric tensor spec`)
    }
    if (spec.quantization !== undefined) throw bad('quantized weights are not supported')
    if (!spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad(`weight "${spec.name}" has shape [${spec.shape.join(', ')}]`)
    expected += (spec.shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[spec.dtype]!
  }
  const size = stored.partNames.includes(WEIGHTS_PART) ? stored.size(WEIGHTS_PART) : 0
  if (size !== expected) throw bad(`its weight specs describe ${expected} bytes but ${size} are stored`)
  const bytes = size === 0 ? new Uint8Array(0) : await stored.bytes(WEIGHTS_PART)
  const weightData = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : bytes.slice().buffer
  const artifacts: TF.io.ModelArtifacts = {
    modelTopology: meta.modelTopology as unknown as TF.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs as unknown as TF.io.WeightsManifestEntry[],
    weightData,
    format: typeof meta.format === 'string' ? meta.format : 'layers-model',
    ...(isPlainObject(meta.trainingConfig) && { trainingConfig: meta.trainingConfig as unknown as TF.io.TrainingConfig }),
    ...(isPlainObject(meta.userDefinedMetadata) && { userDefinedMetadata: meta.userDefinedMetadata as unknown as NonNullable<TF.io.ModelArtifacts['userDefinedMetadata']> }),
  }
  try {
    const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict: true })
    ownOptimizer(model)
    return model
  } catch (err) {
    const message = (err as Error).message
    throw bad(/Unknown (layer|class|loss|metric|optimizer|initializer|regularizer|constraint|activation)/i.test(message)
      ? `${message} (a custom class must be registered with tf.serialization.registerClass in a plugin, which omega loads in every worker)`
      : message, err)
  }
}

/**
 * Makes `model.dispose()` free the optimizer too (its moments are tensors). tfjs does that only for
 * optimizers compiled by name; omega's (rebuilt from a training config, or from `params.compile`)
 * belong to their model alone.
 */
export function ownOptimizer(model: object): void {
  const m = model as { optimizer?: unknown; isOptimizerOwned?: boolean }
  if (m.optimizer != null) m.isOptimizerOwned = true
}
