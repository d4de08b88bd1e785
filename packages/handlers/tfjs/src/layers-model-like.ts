/** A symbolic tensor of a layers model's graph: its shape has `null` for the batch dimension. */
export interface SymbolicTensorLike {
  readonly name: string
  readonly shape: readonly (number | null)[]
  readonly dtype: string
}

/**
 * The part of a `tf.LayersModel` (`tf.Sequential`, or a functional `tf.model`) omega uses. Models
 * are recognised by this shape, not by `instanceof`: an application's tfjs may be another module
 * instance than omega's (its CommonJS build, or a second copy), and its models are accepted all the same.
 */
export interface LayersModelLike {
  readonly name: string
  readonly layers: readonly unknown[]
  readonly inputs: readonly SymbolicTensorLike[]
  readonly outputs: readonly SymbolicTensorLike[]
  readonly inputNames: readonly string[]
  readonly outputNames: readonly string[]
  /** Set by `compile()`; `undefined`/`null` for a model that was never compiled. */
  readonly optimizer?: unknown
  getClassName(): string
  save(handler: unknown, config?: unknown): Promise<unknown>
  predict(x: unknown, args?: unknown): unknown
  fit(x: unknown, y: unknown, args?: unknown): Promise<unknown>
  evaluate(x: unknown, y: unknown, args?: unknown): unknown
  dispose(): unknown
}

/** True for a TensorFlow.js layers model from any copy of tfjs (checked by shape, cheaply, no I/O). */
export function isLayersModel(value: unknown): value is LayersModelLike {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    ['save', 'predict', 'fit', 'evaluate', 'compile', 'getConfig', 'getClassName', 'dispose'].every((m) => typeof v[m] === 'function') &&
    Array.isArray(v.layers) &&
    Array.isArray(v.inputs) &&
    Array.isArray(v.outputs)
  )
}
