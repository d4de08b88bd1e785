// omega's model data (tables, tensors, named inputs) as tfjs tensors shaped for a model's inputs
// and outputs, and tfjs results back as omega Tensors.
import type * as TF from '@tensorflow/tfjs-core'
import { Tensor, asTensor, errors, isNamedInputs, type ModelData } from '@omega/core'
import type { LayersModelLike, SymbolicTensorLike } from './layers-model-like.js'
import type { Tf } from './tfjs-runtime.js'

const shapeText = (shape: readonly (number | null)[]): string => `[${shape.map((d) => d ?? 'batch').join(', ')}]`

/**
 * X as the model's inputs: one tfjs tensor per input, in the model's input order. Rows of the
 * right total width are reshaped to an input of rank > 2 (images stored flat).
 *
 * @throws {OmegaError} E_DATA_SHAPE naming the input, its shape and the width given
 */
export function inputTensors(tf: Tf, model: LayersModelLike, X: ModelData, modelName: string): TF.Tensor[] {
  const given = namedOrSingle(X, model.inputNames, 'X', modelName)
  return model.inputs.map((input, i) => toTf(tf, given[i]!, input, 'X', `input "${model.inputNames[i]}" of ${modelName}`, true))
}

/** Y as the model's targets, one per output; a one-column Y gets the output's rank (`[n]` → `[n, 1]`). */
export function targetTensors(tf: Tf, model: LayersModelLike, Y: ModelData, modelName: string): TF.Tensor[] {
  const given = namedOrSingle(Y, model.outputNames, 'Y', modelName)
  return model.outputs.map((output, i) => toTf(tf, given[i]!, output, 'Y', `output "${model.outputNames[i]}" of ${modelName}`, false))
}

function namedOrSingle(data: ModelData, names: readonly string[], role: 'X' | 'Y', modelName: string): ModelData[] {
  if (!isNamedInputs(data)) {
    if (names.length !== 1) throw errors.invalidArgument(`${modelName} has ${names.length} ${role === 'X' ? 'inputs' : 'outputs'} (${names.join(', ')}); pass ${role} as a record with one entry each`)
    return [data]
  }
  const keys = Object.keys(data)
  const missing = names.filter((n) => !keys.includes(n))
  const unknown = keys.filter((k) => !names.includes(k))
  if (missing.length > 0 || unknown.length > 0) {
    throw errors.dataShape(`${role} names ${keys.join(', ')} but ${modelName} has ${role === 'X' ? 'inputs' : 'outputs'} ${names.join(', ')}`, { expected: [...names], got: keys })
  }
  return names.map((n) => data[n]!)
}

function toTf(tf: Tf, data: ModelData, target: SymbolicTensorLike, role: 'X' | 'Y', what: string, strict: boolean): TF.Tensor {
  const t = asTensor(data as Exclude<ModelData, Readonly<Record<string, unknown>>>, role)
  const rows = t.shape[0] ?? 1
  const want = target.shape.slice(1)
  const wantWidth = want.every((d) => d !== null) ? (want as number[]).reduce((a, b) => a * b, 1) : undefined
  let shape: number[] = t.shape.length <= 1 ? [rows, 1] : [...t.shape]
  const width = shape.slice(1).reduce((a, b) => a * b, 1)
  const fits = shape.length - 1 === want.length && want.every((d, k) => d === null || d === shape[k + 1])
  // Rows of the right total width take the input's shape (images stored flat in a table).
  if (!fits && wantWidth !== undefined && width === wantWidth) shape = [rows, ...(want as number[])]
  else if (!fits && strict) {
    throw errors.dataShape(`${role} has ${width} features per row (shape ${shapeText(t.shape)}) but ${what} takes ${shapeText(target.shape)}${wantWidth === undefined ? '' : `, ${wantWidth} per row`}`, {
      expected: wantWidth ?? null,
      got: width,
    })
  }
  // Targets are not checked here: sparse losses take class indices for a wider output; tfjs checks them.
  const dtype = target.dtype === 'int32' ? 'int32' : 'float32'
  const values = dtype === 'int32' ? Int32Array.from(t.data as ArrayLike<number>) : t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number)
  return tf.tensor(values, shape, dtype)
}

/** A tfjs result as an omega Tensor (float32 or int32), read synchronously; the tfjs tensor is not disposed here. */
export function fromTf(t: TF.Tensor): Tensor {
  const data = t.dataSync()
  if (data instanceof Float32Array) return new Tensor('float32', t.shape, data)
  if (data instanceof Int32Array) return new Tensor('int32', t.shape, data)
  if (data instanceof Uint8Array) return new Tensor('bool', t.shape, data)
  throw errors.unsupported(`a ${t.dtype} output cannot be returned as a Tensor`)
}
