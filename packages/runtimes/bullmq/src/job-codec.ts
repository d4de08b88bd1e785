import { randomBytes } from 'node:crypto'
import { OmegaError, collectBytes, sha256Hex, type StorageBackend } from '@omega/core'

/**
 * Job data and results are JSON in Redis. Byte arrays travel base64-encoded up to a size, and
 * above it as a temporary object in the shared store (the job carries its address), so large
 * inputs, results and model bytes never load Redis.
 */

/** A temporary object in the shared store: a blob no document refers to. */
export interface TempRef {
  readonly sha256: string
  readonly size: number
}

type Packed = { readonly $b: string; readonly $v?: string } | { readonly $t: TempRef; readonly $v?: string }

const VIEWS: Record<string, new (buffer: ArrayBufferLike, offset: number, length: number) => ArrayBufferView> = {
  Int8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
}

/**
 * A random header makes each temporary object's address unique: deleting it can never remove a
 * blob that a stored version or dataset holds with the same payload.
 */
const MAGIC = new TextEncoder().encode('omega-bullmq-tmp')
const HEADER = MAGIC.byteLength + 16

/** Writes bytes as a temporary object. */
export async function writeTemp(store: StorageBackend, bytes: Uint8Array): Promise<TempRef> {
  const wrapped = new Uint8Array(HEADER + bytes.byteLength)
  wrapped.set(MAGIC, 0)
  wrapped.set(randomBytes(16), MAGIC.byteLength)
  wrapped.set(bytes, HEADER)
  return await store.blobs.write(wrapped)
}

/** Reads a temporary object back, verifying its address. @throws {OmegaError} E_NOT_FOUND, E_INTEGRITY */
export async function readTemp(store: StorageBackend, ref: TempRef): Promise<Uint8Array> {
  const bytes = await collectBytes(store.blobs.read(ref.sha256))
  if (bytes.byteLength !== ref.size || sha256Hex(bytes) !== ref.sha256 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new OmegaError('E_INTEGRITY', `temporary object ${ref.sha256} of a queued task does not match its address`, { details: { sha256: ref.sha256 } })
  }
  return bytes.subarray(HEADER)
}

/** Removes temporary objects; never throws (a leftover is an orphan blob that gc collects). */
export async function deleteTemps(store: StorageBackend, refs: Iterable<TempRef>): Promise<void> {
  await Promise.allSettled([...refs].map(async (ref) => await store.blobs.delete(ref.sha256)))
}

/**
 * A value as JSON-safe data: every byte array (any typed array) over `inlineBytes` is written
 * with `spill` (and listed in `temps`), smaller ones become base64.
 */
export async function pack(value: unknown, inlineBytes: number, spill: ((bytes: Uint8Array) => Promise<TempRef>) | undefined, temps: TempRef[]): Promise<unknown> {
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    const view = value instanceof Uint8Array ? undefined : value.constructor.name
    if (spill && bytes.byteLength > inlineBytes) {
      const ref = await spill(bytes)
      temps.push(ref)
      return { $t: ref, ...(view && { $v: view }) } satisfies Packed
    }
    return { $b: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), ...(view && { $v: view }) } satisfies Packed
  }
  if (Array.isArray(value)) return await Promise.all(value.map((v) => pack(v, inlineBytes, spill, temps)))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = await pack(v, inlineBytes, spill, temps)
    return out
  }
  return value
}

/** The inverse of {@link pack}; temporary objects are read with `fetch` (and listed in `temps`). */
export async function unpack(value: unknown, fetch: (ref: TempRef) => Promise<Uint8Array>, temps: TempRef[] = []): Promise<unknown> {
  if (Array.isArray(value)) return await Promise.all(value.map((v) => unpack(v, fetch, temps)))
  if (typeof value !== 'object' || value === null) return value
  const packed = value as Partial<{ $b: string; $t: TempRef; $v: string }>
  if (typeof packed.$b === 'string' || packed.$t !== undefined) {
    let bytes: Uint8Array
    if (packed.$t !== undefined) {
      temps.push(packed.$t)
      bytes = await fetch(packed.$t)
    } else {
      const buf = Buffer.from(packed.$b!, 'base64')
      // An own, aligned buffer: typed views and zero-copy tensor decoding need alignment.
      bytes = new Uint8Array(buf.byteLength)
      bytes.set(buf)
    }
    const View = packed.$v === undefined ? undefined : VIEWS[packed.$v]
    if (!View) return bytes
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
    const size = (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
    return new View(own.buffer, 0, own.byteLength / size)
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = await unpack(v, fetch, temps)
  return out
}

/** Temporary objects a packed value refers to (for cleanup without reading them). */
export function tempsIn(value: unknown, out: TempRef[] = []): TempRef[] {
  if (Array.isArray(value)) value.forEach((v) => tempsIn(v, out))
  else if (typeof value === 'object' && value !== null) {
    const t = (value as { $t?: TempRef }).$t
    if (t !== undefined) out.push(t)
    else Object.values(value).forEach((v) => tempsIn(v, out))
  }
  return out
}
