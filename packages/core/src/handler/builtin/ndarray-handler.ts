import { OmegaError, errors } from '../../errors.js'
import { DTYPE_ARRAYS, Tensor, type TensorData, type TensorDtype } from '../../data/tensor.js'
import type { Artifacts, Handler, HandlerContext, StoredArtifacts } from '../handler.js'

/** More dimensions than any real tensor has; a stored shape beyond it is refused. */
const MAX_RANK = 64

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

  async deserialize(stored: StoredArtifacts, context: HandlerContext): Promise<Tensor> {
    const { dtype, shape, elements } = storedLayout(stored, context.name)
    const bytes = await stored.bytes('data')
    if (dtype === 'string') {
      let strings: unknown
      try {
        strings = JSON.parse(new TextDecoder().decode(bytes))
      } catch {
        strings = undefined
      }
      if (!Array.isArray(strings) || strings.length !== elements || strings.some((v) => typeof v !== 'string')) {
        throw damaged(context.name, `its data is not ${elements} strings`)
      }
      return new Tensor('string', shape, strings as string[])
    }
    const Ctor = DTYPE_ARRAYS[dtype] as unknown as { new (b: ArrayBuffer, o: number, n: number): TensorData; BYTES_PER_ELEMENT: number }
    // Blob reads may start at any offset of a shared buffer; typed arrays need aligned memory.
    const aligned = bytes.byteOffset % Ctor.BYTES_PER_ELEMENT === 0 ? bytes : bytes.slice()
    const data = new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / Ctor.BYTES_PER_ELEMENT)
    return new Tensor(dtype, shape, data as never)
  }
}

/**
 * The stored dtype and shape, checked against the part actually stored before anything is read or
 * allocated: a hostile shape (`[1e9, 1e9]` over 8 bytes) is E_INTEGRITY, never an allocation.
 */
function storedLayout(stored: StoredArtifacts, name: string): { dtype: TensorDtype; shape: number[]; elements: number } {
  const { dtype, shape } = stored.kindMeta as { dtype?: unknown; shape?: unknown }
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_ARRAYS, dtype)) throw damaged(name, `its dtype ${JSON.stringify(dtype) ?? 'undefined'} is unknown`)
  if (!Array.isArray(shape) || shape.length > MAX_RANK || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
    throw damaged(name, 'its shape is not a list of non-negative integers')
  }
  const size = stored.partNames.includes('data') ? stored.size('data') : -1
  let elements = (shape as number[]).includes(0) ? 0 : 1
  for (const d of shape as number[]) {
    if (elements > size) break
    elements *= d
  }
  const expected = dtype === 'string' ? undefined : elements * DTYPE_ARRAYS[dtype as Exclude<TensorDtype, 'string'>].BYTES_PER_ELEMENT
  // A string takes more than one byte of JSON ("" and a comma or bracket), so n strings need > n bytes.
  if (expected !== undefined ? expected !== size : elements > size) {
    throw damaged(name, `shape [${(shape as number[]).join(', ')}] of ${dtype} does not fit the ${size} bytes stored`)
  }
  return { dtype: dtype as TensorDtype, shape: shape as number[], elements }
}

function damaged(name: string, what: string): OmegaError {
  return new OmegaError('E_INTEGRITY', `stored tensor "${name}" is damaged: ${what}; put it again`, { details: { name, kind: 'ndarray' } })
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
