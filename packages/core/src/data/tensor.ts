import { errors } from '../errors.js'

/** Element types of a {@link Tensor}, named as numpy and onnxruntime name them. */
export type TensorDtype =
  | 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string'

/** The array type that holds each dtype's elements. */
export interface TensorDataMap {
  float32: Float32Array
  float64: Float64Array
  int8: Int8Array
  uint8: Uint8Array
  int16: Int16Array
  uint16: Uint16Array
  int32: Int32Array
  uint32: Uint32Array
  int64: BigInt64Array
  uint64: BigUint64Array
  bool: Uint8Array
  string: string[]
}

/** Any tensor data array. */
export type TensorData = TensorDataMap[TensorDtype]

/** A nested array of a tensor's elements, as {@link Tensor.toArray} returns it. */
export type NestedArray<T> = T | NestedArray<T>[]

/** An n-dimensional array: dtype, shape and flat row-major data. Plain data: it crosses threads. */
export class Tensor<D extends TensorDtype = TensorDtype> {
  readonly dtype: D
  readonly shape: readonly number[]
  readonly data: TensorDataMap[D]

  constructor(dtype: D, shape: readonly number[], data: TensorDataMap[D]) {
    const n = shape.reduce((a, b) => a * b, 1)
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw errors.dataShape(`tensor shape [${shape.join(', ')}] must hold non-negative integers`, { shape: [...shape] })
    }
    if (data.length !== n) {
      throw errors.dataShape(`tensor data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`, {
        shape: [...shape],
        length: data.length,
      })
    }
    this.dtype = dtype
    this.shape = Object.freeze([...shape])
    this.data = data
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length
  }

  /** The elements as nested plain arrays (int64 as numbers when safe, else bigint). */
  toArray(): NestedArray<number | bigint | string | boolean> {
    const flat = Array.from(this.data as ArrayLike<number | bigint | string>, (v) =>
      typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(v)
        : this.dtype === 'bool'
          ? v !== 0
          : v,
    )
    if (this.shape.length === 0) return flat[0] as number
    const build = (dim: number, offset: number): NestedArray<number | bigint | string | boolean> => {
      const len = this.shape[dim]!
      if (dim === this.shape.length - 1) return flat.slice(offset, offset + len)
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1)
      return Array.from({ length: len }, (_, i) => build(dim + 1, offset + i * stride))
    }
    return build(0, 0)
  }

  /** Brand check that also accepts a structurally equal plain object `{ dtype, shape, data }`. */
  static isTensorLike(value: unknown): value is { dtype: TensorDtype; shape: number[]; data: TensorData } {
    if (value instanceof Tensor) return true
    if (typeof value !== 'object' || value === null) return false
    const v = value as Record<string, unknown>
    return typeof v.dtype === 'string' && v.dtype in DTYPE_ARRAYS && Array.isArray(v.shape) &&
      (ArrayBuffer.isView(v.data) || Array.isArray(v.data))
  }

  /** Builds a Tensor from a tensor-like object, checking its shape. */
  static from(value: { dtype: TensorDtype; shape: readonly number[]; data: TensorData }): Tensor {
    return value instanceof Tensor ? value : new Tensor(value.dtype, value.shape, value.data)
  }
}

/**
 * True if `value` is a {@link Tensor}: narrows a runtime result (`Tensor` or a record of tensors
 * for multi-output models) or a dataset (`om.datasets.get`) to a Tensor.
 *
 * @example
 * ```ts
 * const y = await om.runtime.model('clf').predict(X)
 * const labels = isTensor(y) ? y : y.label!
 * ```
 */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor
}

/** The constructor of each dtype's array (string: plain Array). */
export const DTYPE_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  string: Array,
} as const
