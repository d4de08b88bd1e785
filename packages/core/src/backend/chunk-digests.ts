import { createHash, hash as oneShot } from 'node:crypto'
import xxhash from 'xxhash-wasm'
import { OmegaError, throwIfAborted } from '../errors.js'
import type { BlobRef } from './storage-backend.js'

/**
 * Bytes per leaf: the unit core hashes at write. A blob of at most one leaf is verified whole
 * before any byte of it is delivered; a larger one gets {@link ChunkDigests}.
 */
export const LEAF_SIZE = 1024 * 1024

/**
 * Digests recorded per blob, at most, up to {@link MAX_CHUNK_SIZE} × this (16 GiB), so a document
 * stays small (≤ 11 KB of digests): past `MAX_CHUNKS` leaves, consecutive leaves are grouped into
 * one verified chunk (up to 256 MiB every 1 MiB is verified; a 10 GB file has 40 MiB chunks).
 */
export const MAX_CHUNKS = 256

/**
 * The largest chunk, recorded or accepted: a read holds at most one chunk, so this bounds its
 * memory, also against a document that lies about a part's size. Blobs over 16 GiB record more
 * than {@link MAX_CHUNKS} digests (44 bytes of document per 64 MiB).
 */
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024

/**
 * Per-chunk checksums of one blob, recorded by core at write in the part entry of the metadata
 * document, so that a read can verify every chunk before delivering any byte of it.
 *
 * Chunk `i` covers bytes `[i * size, min((i + 1) * size, blob size))`. Its digest is the checksum
 * of its bytes when `size === leaf`; otherwise the checksum of the concatenated checksums of its
 * leaves (`leaf` bytes each, the last one shorter). `digests` is the base64 of the concatenated
 * digests, in order. The checksum is `algorithm`: `xxh64` (8 bytes, big-endian; what core writes)
 * or, when absent, sha256 (32 bytes; records written before xxh64 was used).
 */
export interface ChunkDigests {
  readonly size: number
  readonly leaf: number
  readonly digests: string
  readonly algorithm?: 'xxh64'
}

/**
 * A checksum for chunk records. The blob's address stays its sha256 (computed by the backend
 * while it writes, and checked by fsck); chunk records only have to catch modified bytes, so
 * reads use a checksum several times faster than sha256 (xxh64: ≈ 7 GB/s in WebAssembly here,
 * against ≈ 1.7 GB/s for sha256), and writes no longer hash every byte twice with sha256.
 */
export interface ChunkChecksum {
  readonly algorithm: 'sha256' | 'xxh64'
  /** Bytes per digest. */
  readonly width: number
  /** The digest of one whole leaf. */
  leaf(bytes: Uint8Array): Buffer
  /** An incremental digest, for leaves that arrive in pieces. */
  stream(): { update(bytes: Uint8Array): void; digest(): Buffer }
}

/** sha256: what chunk records without `algorithm` use. */
export const SHA256_CHECKSUM: ChunkChecksum = {
  algorithm: 'sha256',
  width: 32,
  leaf: (bytes) => oneShot('sha256', bytes, 'buffer') as unknown as Buffer,
  stream: () => {
    const hash = createHash('sha256')
    return { update: (bytes) => void hash.update(bytes), digest: () => hash.digest() }
  },
}

let xxh64: Promise<ChunkChecksum> | undefined

/** xxh64 (seed 0), what core records for new blobs. Loaded once per thread (a small WebAssembly module). */
export function xxh64Checksum(): Promise<ChunkChecksum> {
  xxh64 ??= xxhash().then((api) => {
    const bytesOf = (value: bigint): Buffer => {
      const out = Buffer.allocUnsafe(8)
      out.writeBigUInt64BE(value)
      return out
    }
    return {
      algorithm: 'xxh64',
      width: 8,
      leaf: (bytes) => bytesOf(api.h64Raw(bytes)),
      stream: () => {
        const hash = api.create64()
        return { update: (bytes) => void hash.update(bytes), digest: () => bytesOf(hash.digest()) }
      },
    } satisfies ChunkChecksum
  })
  return xxh64
}

/** The checksum a record was written with. */
async function checksumOf(chunks: ChunkDigests): Promise<ChunkChecksum> {
  return chunks.algorithm === 'xxh64' ? await xxh64Checksum() : SHA256_CHECKSUM
}

/** A part of a stored object: its blob, plus the chunk digests core recorded when it wrote it. */
export interface PartRef extends BlobRef {
  readonly chunks?: ChunkDigests
}

/** The chunk size a blob of `total` bytes is recorded with (a multiple of `leaf`). */
export function chunkSizeFor(total: number, leaf = LEAF_SIZE): number {
  const leaves = Math.ceil(total / leaf)
  return leaf * Math.max(1, Math.min(Math.ceil(leaves / MAX_CHUNKS), Math.floor(MAX_CHUNK_SIZE / leaf)))
}

/**
 * Hashes every leaf of a blob while it is written. `pipe` passes the caller's chunks through
 * unchanged (no copy); `result` gives the digests once the write completed.
 */
export class LeafHasher {
  /** Leaf digests in one growing buffer (a 1 TB blob needs 8 MB with xxh64, not a million objects). */
  #leaves: Buffer
  #count = 0
  #hash: ReturnType<ChunkChecksum['stream']> | undefined
  #inLeaf = 0
  #size = 0

  /** `checksum`: sha256 unless given (core passes {@link xxh64Checksum}'s). */
  constructor(readonly checksum: ChunkChecksum = SHA256_CHECKSUM) {
    this.#leaves = Buffer.alloc(checksum.width * 64)
  }

  update(bytes: Uint8Array): void {
    let offset = 0
    while (offset < bytes.byteLength) {
      const take = Math.min(LEAF_SIZE - this.#inLeaf, bytes.byteLength - offset)
      const view = take === bytes.byteLength ? bytes : bytes.subarray(offset, offset + take)
      offset += take
      if (take === LEAF_SIZE) {
        this.#push(this.checksum.leaf(view))
        continue
      }
      this.#hash ??= this.checksum.stream()
      this.#hash.update(view)
      this.#inLeaf += take
      if (this.#inLeaf === LEAF_SIZE) this.#endLeaf()
    }
    this.#size += bytes.byteLength
  }

  async *pipe(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of source) {
      if (chunk instanceof Uint8Array) this.update(chunk)
      yield chunk
    }
  }

  get size(): number {
    return this.#size
  }

  /** The blob's chunk digests; undefined for a blob of at most one leaf (verified whole). */
  result(): ChunkDigests | undefined {
    if (this.#inLeaf > 0) this.#endLeaf()
    if (this.#size <= LEAF_SIZE) return undefined
    const size = chunkSizeFor(this.#size)
    const perChunk = size / LEAF_SIZE
    const width = this.checksum.width
    const leaves = this.#leaves.subarray(0, width * this.#count)
    const algorithm = this.checksum.algorithm === 'xxh64' ? { algorithm: 'xxh64' as const } : {}
    if (perChunk === 1) return { size, leaf: LEAF_SIZE, digests: leaves.toString('base64'), ...algorithm }
    const digests: Buffer[] = []
    for (let i = 0; i < this.#count; i += perChunk) {
      digests.push(this.checksum.leaf(leaves.subarray(width * i, width * Math.min(i + perChunk, this.#count))))
    }
    return { size, leaf: LEAF_SIZE, digests: Buffer.concat(digests).toString('base64'), ...algorithm }
  }

  #endLeaf(): void {
    this.#push((this.#hash ?? this.checksum.stream()).digest())
    this.#hash = undefined
    this.#inLeaf = 0
  }

  #push(digest: Buffer): void {
    const width = this.checksum.width
    if (width * (this.#count + 1) > this.#leaves.byteLength) {
      const grown = Buffer.alloc(this.#leaves.byteLength * 2)
      this.#leaves.copy(grown)
      this.#leaves = grown
    }
    digest.copy(this.#leaves, width * this.#count++)
  }
}

/** The part entry to record for a written blob (chunk digests only when they match its size). */
export function partRef(ref: BlobRef, hasher: LeafHasher | undefined): PartRef {
  const chunks = hasher && hasher.size === ref.size ? hasher.result() : undefined
  return chunks ? { sha256: ref.sha256, size: ref.size, chunks } : { sha256: ref.sha256, size: ref.size }
}

/**
 * Streams a blob, delivering each chunk only after it matched its recorded digest: a consumer
 * that stops early, or that gets E_INTEGRITY, has received only verified bytes. The backend's
 * pieces are passed on as views (no copy); at most one chunk is held at a time.
 *
 * @throws {OmegaError} E_INTEGRITY on a mismatch (before any byte of the bad chunk), a length
 *   other than `size`, or a chunk record that does not fit the blob
 */
export async function* verifyChunks(
  sha256: string,
  size: number,
  chunks: ChunkDigests,
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
  if (chunks?.algorithm !== undefined && chunks.algorithm !== 'xxh64') {
    throw integrityError(sha256, `has a chunk checksum record of unknown algorithm ${JSON.stringify(chunks.algorithm)} (the metadata document was modified, or written by a newer omega)`)
  }
  const checksum = await checksumOf(chunks)
  const expected = checkRecord(sha256, size, chunks, checksum.width)
  const width = checksum.width
  const perChunk = chunks.size / chunks.leaf
  let index = 0
  // Spans of the backend's pieces: `held` awaits its chunk's check, `ready` passed it. Adjacent
  // spans of one piece are merged, so verified bytes go out in pieces as large as they came in.
  let held: Span[] = []
  let ready: Span[] = []
  let readyBytes = 0
  let inChunk = 0
  let inLeaf = 0
  let total = 0
  let hash: ReturnType<ChunkChecksum['stream']> | undefined
  let leaves: Buffer[] = []
  const chunkEnd = (): number => Math.min(chunks.size, size - index * chunks.size)
  /** Checks the chunk just completed; returns the error for a mismatch. */
  const check = (): OmegaError | undefined => {
    const digest = perChunk === 1 ? leaves[0]! : checksum.leaf(Buffer.concat(leaves))
    if (!digest.equals(expected.subarray(index * width, index * width + width))) {
      const from = index * chunks.size
      return integrityError(sha256, `does not match its checksum in bytes ${from}–${from + inChunk} (stored bytes were modified)`, { chunk: index, offset: from })
    }
    for (const span of held) append(ready, span.piece, span.start, span.end)
    readyBytes += inChunk
    held = []
    leaves = []
    inChunk = 0
    index++
    return undefined
  }
  const takeReady = (): Uint8Array[] => {
    const out = ready.map((span) => (span.start === 0 && span.end === span.piece.byteLength ? span.piece : span.piece.subarray(span.start, span.end)))
    ready = []
    readyBytes = 0
    return out
  }
  for await (const piece of source) {
    throwIfAborted(signal)
    let offset = 0
    while (offset < piece.byteLength) {
      if (total >= size) throw integrityError(sha256, `is longer than its recorded ${size} bytes`)
      // Leaves end at chunk ends too (chunks are whole leaves; the last leaf ends the blob).
      const leafLeft = Math.min(chunks.leaf - inLeaf, chunkEnd() - inChunk)
      const take = Math.min(piece.byteLength - offset, leafLeft)
      const view = take === piece.byteLength ? piece : piece.subarray(offset, offset + take)
      if (inLeaf === 0 && take === leafLeft) {
        leaves.push(checksum.leaf(view))
      } else {
        hash ??= checksum.stream()
        hash.update(view)
        if (take === leafLeft) {
          leaves.push(hash.digest())
          hash = undefined
        }
      }
      inLeaf = take === leafLeft ? 0 : inLeaf + take
      append(held, piece, offset, offset + take)
      offset += take
      inChunk += take
      total += take
      const bad = inChunk === chunkEnd() ? check() : undefined
      if (bad) {
        // Everything before the bad chunk was verified: the caller gets exactly that prefix.
        for (const view of takeReady()) yield view
        throw bad
      }
      // Hand out verified bytes at the end of each piece, and every few MiB within a large one.
      if (ready.length > 0 && (offset === piece.byteLength || readyBytes >= YIELD_BYTES)) {
        for (const view of takeReady()) yield view
        throwIfAborted(signal)
      }
    }
  }
  if (total !== size) throw integrityError(sha256, `has ${total} bytes, ${size} were recorded (truncated?)`)
}

/** Verified bytes are handed out at least every this many bytes within one large backend piece. */
const YIELD_BYTES = 4 * 1024 * 1024

/** Bytes `[start, end)` of a backend's piece. */
interface Span {
  readonly piece: Uint8Array
  readonly start: number
  end: number
}

/** Appends a span, extending the last one when it continues it. */
function append(spans: Span[], piece: Uint8Array, start: number, end: number): void {
  const last = spans[spans.length - 1]
  if (last && last.piece === piece && last.end === start) last.end = end
  else spans.push({ piece, start, end })
}

/** The recorded digests as bytes, after checking the record fits a blob of `size` bytes. */
function checkRecord(sha256: string, size: number, chunks: ChunkDigests, width: number): Buffer {
  const ok =
    typeof chunks === 'object' && chunks !== null &&
    Number.isSafeInteger(chunks.leaf) && chunks.leaf >= 1024 && chunks.leaf <= MAX_CHUNK_SIZE &&
    Number.isSafeInteger(size) && size > 0 &&
    chunks.size === chunkSizeFor(size, chunks.leaf) &&
    typeof chunks.digests === 'string'
  const bytes = ok ? Buffer.from(chunks.digests, 'base64') : undefined
  if (!bytes || bytes.byteLength !== width * Math.ceil(size / chunks.size)) {
    throw integrityError(sha256, 'has a chunk checksum record that does not fit its size (the metadata document was modified)')
  }
  return bytes
}

/** E_INTEGRITY about a stored blob. */
export function integrityError(sha256: string, what: string, details: Record<string, number> = {}): OmegaError {
  return new OmegaError(
    'E_INTEGRITY',
    `stored blob ${sha256.slice(0, 12)}… ${what}; restore it from a backup or put the object again`,
    { details: { sha256, ...details } },
  )
}
