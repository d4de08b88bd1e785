import { Table, vectorFromArray, type Vector } from 'apache-arrow'
import { errors } from '../errors.js'
import { Tensor } from '../data/tensor.js'
import { decodeInput } from './task-codec.js'
import type { TaskResult } from './runtime.js'

/** What predict returns: one tensor, or a record of tensors for multi-output models. */
export type Prediction = Tensor | Readonly<Record<string, Tensor>>

export function decodePrediction(result: TaskResult): Prediction {
  if (result.type === 'tensor') return decodeInput(result.data) as Tensor
  if (result.type === 'tensors') return Object.fromEntries(Object.entries(result.data).map(([k, v]) => [k, decodeInput(v) as Tensor]))
  throw errors.unsupported('the runtime returned no predictions')
}

/** Predictions as a table: `y` (1-D), `y0…yk` (2-D), or per output for multi-output models. */
export function predictionTable(prediction: Prediction): Table {
  // Output names come from the model: a Map, so an output named "__proto__" is a column like any other.
  const columns = new Map<string, Vector>()
  const add = (name: string, t: Tensor): void => {
    const rows = t.shape[0] ?? 1
    const width = t.shape.slice(1).reduce((a, b) => a * b, 1)
    const data = t.data as unknown as ArrayLike<unknown> & { constructor: new (n: number) => { [i: number]: unknown } }
    if (width === 1) {
      columns.set(name, vectorFromArray(data as never) as Vector)
      return
    }
    for (let j = 0; j < width; j++) {
      const column = new data.constructor(rows)
      for (let i = 0; i < rows; i++) column[i] = data[i * width + j]
      columns.set(`${name}${j}`, vectorFromArray(column as never) as Vector)
    }
  }
  if (prediction instanceof Tensor) add('y', prediction)
  else for (const [k, t] of Object.entries(prediction)) add(k, t)
  return new Table(Object.fromEntries(columns))
}
