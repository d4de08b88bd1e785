import { OmegaError, errors, throwIfAborted } from '../errors.js'
import type { JsonObject } from '../json.js'
import { LEAF_SIZE, LeafHasher, integrityError, partRef, verifyChunks, xxh64Checksum, type ChunkDigests, type PartRef } from './chunk-digests.js'
import { HashingReader, collectBytes } from './hashing.js'
import { pace } from './pacing.js'
import type {
  BackendManifest,
  BlobStore,
  CasOptions,
  DocWrite,
  DeleteDocOptions,
  ListDocsOptions,
  MetadataStore,
  ScratchStore,
  SignalOptions,
  StorageBackend,
  StoredDoc,
} from './storage-backend.js'

/** Options of a verified blob read: what the part entry recorded. */
export interface VerifiedReadOptions extends SignalOptions {
  /** The recorded length: a blob of another length is E_INTEGRITY. */
  readonly size?: number
  /** The recorded chunk digests: each chunk is verified before any byte of it is delivered. */
  readonly chunks?: ChunkDigests
}

/** Options of {@link CheckedBlobStore.readVerifiedInto}: the recorded size is required. */
export interface VerifiedReadIntoOptions extends VerifiedReadOptions {
  readonly size: number
}

/** The blob half as core sees it: writes also record chunk digests, reads verify them. */
export interface CheckedBlobStore extends BlobStore {
  write(source: Uint8Array | AsyncIterable<Uint8Array>, options?: SignalOptions): Promise<PartRef>
  read(sha256: string, options?: VerifiedReadOptions): AsyncIterable<Uint8Array>
  /**
   * Present when the backend implements {@link BlobStore.readInto}: reads the blob into `target`
   * (at least `size + 1` bytes, so a longer blob is seen) and returns the first `size` bytes of it
   * once every chunk matched its record, or the whole blob its sha256. Nothing of a blob that
   * fails is returned; `target` then holds unverified bytes the caller must drop.
   *
   * @throws {OmegaError} E_INTEGRITY (mismatch, other length), E_NOT_FOUND
   */
  readVerifiedInto?(sha256: string, target: Uint8Array, options: VerifiedReadIntoOptions): Promise<Uint8Array>
}

/**
 * The wrapper core puts around every backend: it refuses calls on a closed store, maps any
 * non-Omega error to E_BACKEND (keeping the original as `cause`), and verifies every blob read
 * against its recorded checksums and size, so no backend can hand out corrupted bytes (E_INTEGRITY).
 * Writes record per-chunk xxh64 digests ({@link PartRef}); reads given them verify each chunk
 * before delivering it, so no unverified byte reaches a caller; a blob of one leaf or less (and
 * one recorded without chunk digests) is verified against its sha256. Invariants live here once instead of in
 * each backend, so every backend (and any future one) gets them unchanged.
 */
export class CheckedBackend implements StorageBackend {
  readonly blobs: CheckedBlobStore
  readonly meta: MetadataStore
  #open = false

  constructor(readonly inner: StorageBackend) {
    const guard = <T>(op: string, fn: () => Promise<T>): Promise<T> => this.#guard(op, fn)
    const guardIter = <T>(op: string, fn: () => AsyncIterable<T>): AsyncIterable<T> => this.#guardIter(op, fn)
    const blobs = inner.blobs
    const meta = inner.meta
    this.blobs = {
      write: (source: Uint8Array | AsyncIterable<Uint8Array>, options?: SignalOptions): Promise<PartRef> =>
        guard('write a blob', async () => {
          const hasher = new LeafHasher(await xxh64Checksum())
          if (source instanceof Uint8Array) hasher.update(source)
          const ref = await blobs.write(source instanceof Uint8Array ? source : hasher.pipe(source), options)
          return partRef(ref, hasher)
        }),
      read: (sha256: string, options?: VerifiedReadOptions): AsyncIterable<Uint8Array> =>
        guardIter('read a blob', () => {
          const source = blobs.read(sha256, options?.signal ? { signal: options.signal } : undefined)
          const { size, chunks, signal } = options ?? {}
          return size !== undefined && chunks !== undefined ? verifyChunks(sha256, size, chunks, source, signal) : verified(sha256, size, source, signal)
        }),
      ...(blobs.readInto && {
        readVerifiedInto: (sha256: string, target: Uint8Array, options: VerifiedReadIntoOptions): Promise<Uint8Array> =>
          guard('read a blob', async () => {
            const { size, chunks, signal } = options
            throwIfAborted(signal)
            if (target.byteLength <= size) throw errors.invalidArgument(`readVerifiedInto needs room for ${size + 1} bytes (got ${target.byteLength})`)
            const read = await blobs.readInto!(sha256, target, signal ? { signal } : undefined)
            if (read > size) throw integrityError(sha256, `is longer than its recorded ${size} bytes`)
            // The same checks as a streamed read, over the one piece that was read: every chunk is
            // verified before the bytes are returned, and the result is a view of `target`.
            const piece = target.subarray(0, read)
            const source = chunks !== undefined ? verifyChunks(sha256, size, chunks, once(piece), signal) : verified(sha256, size, once(piece), signal)
            return await collectBytes(source)
          }),
      }),
      has: (sha256: string) => guard('check a blob', () => blobs.has(sha256)),
      delete: (sha256: string) => guard('delete a blob', () => blobs.delete(sha256)),
      list: (options?: SignalOptions) => guardIter('list blobs', () => blobs.list(options)),
    }
    this.meta = {
      get: (key: string) => guard('read metadata', () => meta.get(key)),
      put: (key: string, doc: JsonObject, options: CasOptions) => guard('write metadata', () => meta.put(key, doc, options)),
      delete: (key: string, options: DeleteDocOptions) => guard('delete metadata', () => meta.delete(key, options)),
      list: (prefix: string, options?: ListDocsOptions): AsyncIterable<StoredDoc> =>
        guardIter('list metadata', () => readable(meta.list(prefix, options), options?.includeUnreadable === true)),
      ...(meta.listKeys && {
        listKeys: (prefix: string, options?: ListDocsOptions): AsyncIterable<string> => guardIter('list metadata keys', () => meta.listKeys!(prefix, options)),
      }),
      ...(meta.update && {
        update: (keys: readonly string[], fn: (current: ReadonlyMap<string, StoredDoc>) => Promise<readonly DocWrite[]> | readonly DocWrite[]) =>
          guard('update metadata', () => meta.update!(keys, fn)),
      }),
    }
  }

  /** The backend's leftovers of interrupted writes, if it reports them. */
  get scratch(): ScratchStore | undefined {
    return this.inner.scratch
  }

  get scheme(): string {
    return this.inner.scheme
  }
  get location(): string {
    return this.inner.location
  }
  get supports(): BackendManifest {
    return this.inner.supports
  }
  get isOpen(): boolean {
    return this.#open
  }

  async open(): Promise<void> {
    if (this.#open) return
    try {
      await this.inner.open()
    } catch (err) {
      throw OmegaError.is(err) ? err : errors.backend(this.location, 'open', err)
    }
    this.#open = true
  }

  async close(): Promise<void> {
    if (!this.#open) return
    this.#open = false
    await this.inner.close()
  }

  #check(): void {
    if (!this.#open) {
      throw new OmegaError('E_BACKEND', `store at "${this.location}" is closed; open a new instance with Omega.open()`, {
        details: { location: this.location, closed: true },
      })
    }
  }

  async #guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    this.#check()
    const turn = pace()
    if (turn) await turn
    try {
      return await fn()
    } catch (err) {
      throw OmegaError.is(err) ? err : errors.backend(this.location, op, err)
    }
  }

  async *#guardIter<T>(op: string, fn: () => AsyncIterable<T>): AsyncIterable<T> {
    this.#check()
    try {
      for await (const item of fn()) {
        const turn = pace()
        if (turn) await turn
        yield item
      }
    } catch (err) {
      throw OmegaError.is(err) ? err : errors.backend(this.location, op, err)
    }
  }
}

/** One piece as a stream, for the verifiers. */
async function* once(piece: Uint8Array): AsyncIterable<Uint8Array> {
  yield piece
}

/** Skips unreadable documents unless asked for: one torn document must not fail a whole listing. */
async function* readable(source: AsyncIterable<StoredDoc>, includeUnreadable: boolean): AsyncIterable<StoredDoc> {
  for await (const entry of source) if (includeUnreadable || entry.unreadable === undefined) yield entry
}

async function* verified(
  sha256: string,
  size: number | undefined,
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
  throwIfAborted(signal)
  const hasher = new HashingReader()
  // A blob of at most one leaf (or one written before chunk digests were recorded, whose size is
  // unknown or larger) is verified whole. Up to one leaf, every piece is held back until the hash
  // matched; past that (old objects only) all but the last piece go out before the check.
  const holdAll = size !== undefined && size <= LEAF_SIZE
  const held: Uint8Array[] = []
  for await (const chunk of hasher.pipe(source, signal)) {
    if (size !== undefined && hasher.size > size) throw integrityError(sha256, `is longer than its recorded ${size} bytes`)
    if (!holdAll && held.length > 0) yield held.pop()!
    held.push(chunk)
  }
  if (size !== undefined && hasher.size !== size) {
    throw integrityError(sha256, `has ${hasher.size} bytes, ${size} were recorded (truncated?)`)
  }
  if (hasher.digest() !== sha256) throw integrityError(sha256, `does not match its sha256 (stored bytes were modified)`)
  for (const chunk of held) yield chunk
}
