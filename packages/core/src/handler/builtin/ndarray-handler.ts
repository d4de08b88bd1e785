import { errors } from '../../errors.js'
import { DTYPE_ARRAYS, Tensor, type TensorData, type TensorDtype } from '../../data/tensor.js'
import type { Artifacts, Handler, StoredArtifacts } from '../handler.js'

/**
 * Kind `ndarray`: a {@link Tensor} (or `{ dtype, shape, data }`) of any dtype and rank, stored as
 * its raw little-endian element bytes (strings as JSON) with dtype and shape in kindMeta.
 */
export class NdarrayHandler implements Handler<Tensor> {
  readonly kind = 'ndarray'
  readonly stores = ['datasets'] as const

  supports(value: unknown): boolean {
    return Tensor.isTensorLike(value)
  }

  async serialize(value: Tensor | { dtype: TensorDtype; shape: number[]; data: TensorData | number[] }): Promise<Artifacts> {
    const tensor = toTensor(value)
    const data = tensor.data
    const bytes =
      tensor.dtype === 'string'
        ? new TextEncoder().encode(JSON.stringify(data))
        : new Uint8Array((data as Exclude<TensorData, string[]>).buffer, (data as Uint8Array).byteOffset, (data as Uint8Array).byteLength)
    return { kindMeta: { dtype: tensor.dtype, shape: [...tensor.shape] }, parts: { data: bytes } }
  }

  async deserialize(stored: StoredArtifacts): Promise<Tensor> {
    const { dtype, shape } = stored.kindMeta as { dtype: TensorDtype; shape: number[] }
    const bytes = await stored.bytes('data')
    if (dtype === 'string') return new Tensor('string', shape, JSON.parse(new TextDecoder().decode(bytes)) as string[])
    const Ctor = DTYPE_ARRAYS[dtype] as unknown as { new (b: ArrayBuffer, o: number, n: number): TensorData; BYTES_PER_ELEMENT: number }
    // Blob reads may start at any offset of a shared buffer; typed arrays need aligned memory.
    const aligned = bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 ? bytes : bytes.slice()
    const data = new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / Ctor.BYTES_PER_ELEMENT)
    return new Tensor(dtype, shape, data as never)
  }
}

/** A tensor-like value as a Tensor; plain number arrays become the dtype's typed array. */
function toTensor(value: { dtype: TensorDtype; shape: readonly number[]; data: TensorData | unknown[] }): Tensor {
  if (value instanceof Tensor) return value
  const { dtype, shape } = value
  let data = value.data
  if (Array.isArray(data) && dtype !== 'string') {
    const Ctor = DTYPE_ARRAYS[dtype] as unknown as { from(a: unknown[]): TensorData }
    try {
      data = Ctor.from(dtype === 'int64' || dtype === 'uint64' ? data.map((v) => BigInt(v as number)) : dtype === 'bool' ? data.map(Number) : data)
    } catch (err) {
      throw errors.invalidArgument(`tensor data does not fit dtype ${dtype}: ${(err as Error).message}`)
    }
  }
  return new Tensor(dtype, shape, data as never)
}
