import { createHash, type Hash } from 'node:crypto'
import { throwIfAborted } from '../errors.js'

/** sha256 of bytes, lowercase hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** True for a 64-character lowercase hex string. */
export function isSha256(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value)
}

/** Turns a blob source into an async iterable of chunks (a Uint8Array becomes one chunk). */
export async function* chunksOf(source: Uint8Array | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source
    return
  }
  yield* source
}

/**
 * Passes chunks through while hashing them, for backends that learn a blob's address only at the
 * end of the stream. Read `digest()` after the iteration completes.
 */
export class HashingReader {
  readonly #hash: Hash = createHash('sha256')
  #size = 0
  #result: string | undefined

  async *pipe(source: Uint8Array | AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    for await (const chunk of chunksOf(source)) {
      throwIfAborted(signal)
      if (!(chunk instanceof Uint8Array)) throw new TypeError('blob sources must yield Uint8Array chunks')
      this.#hash.update(chunk)
      this.#size += chunk.byteLength
      yield chunk
    }
    throwIfAborted(signal)
  }

  get size(): number {
    return this.#size
  }

  digest(): string {
    this.#result ??= this.#hash.digest('hex')
    return this.#result
  }
}

/** Collects a stream of chunks into one Uint8Array. */
export async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of source) {
    chunks.push(chunk)
    size += chunk.byteLength
  }
  return joinBytes(chunks, size)
}

/** Joins byte chunks of total length `size` into one array (no copy for one chunk or consecutive views of one buffer). */
export function joinBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  if (chunks.length === 0) return new Uint8Array(0)
  // Verified reads hand out consecutive views of one backend buffer (a whole file read at once):
  // those are joined as a view again instead of copied.
  const first = chunks[0]!
  let contiguous = true
  for (let i = 1; contiguous && i < chunks.length; i++) {
    const prev = chunks[i - 1]!
    contiguous = chunks[i]!.buffer === first.buffer && chunks[i]!.byteOffset === prev.byteOffset + prev.byteLength
  }
  if (contiguous) return new Uint8Array(first.buffer, first.byteOffset, size)
  const out = new Uint8Array(size)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}
