import { OmegaError, errors, throwIfAborted } from '../errors.js'
import type { JsonObject } from '../json.js'
import { HashingReader } from './hashing.js'
import type {
  BackendManifest,
  BlobRef,
  BlobStore,
  CasOptions,
  ListDocsOptions,
  MetadataStore,
  ScratchStore,
  SignalOptions,
  StorageBackend,
  StoredDoc,
} from './storage-backend.js'

/**
 * The wrapper core puts around every backend: it refuses calls on a closed store, maps any
 * non-Omega error to E_BACKEND (keeping the original as `cause`), and verifies every blob read
 * against its sha256 and size, so no backend can hand out corrupted bytes (E_INTEGRITY).
 * Invariants live here once instead of in each backend.
 */
export class CheckedBackend implements StorageBackend {
  readonly blobs: BlobStore
  readonly meta: MetadataStore
  #open = false

  constructor(readonly inner: StorageBackend) {
    const guard = <T>(op: string, fn: () => Promise<T>): Promise<T> => this.#guard(op, fn)
    const guardIter = <T>(op: string, fn: () => AsyncIterable<T>): AsyncIterable<T> => this.#guardIter(op, fn)
    const blobs = inner.blobs
    const meta = inner.meta
    this.blobs = {
      write: (source: Uint8Array | AsyncIterable<Uint8Array>, options?: SignalOptions): Promise<BlobRef> =>
        guard('write a blob', () => blobs.write(source, options)),
      read: (sha256: string, options?: SignalOptions & { size?: number }): AsyncIterable<Uint8Array> =>
        guardIter('read a blob', () => verified(sha256, options?.size, blobs.read(sha256, options), options?.signal)),
      has: (sha256: string) => guard('check a blob', () => blobs.has(sha256)),
      delete: (sha256: string) => guard('delete a blob', () => blobs.delete(sha256)),
      list: (options?: SignalOptions) => guardIter('list blobs', () => blobs.list(options)),
    }
    this.meta = {
      get: (key: string) => guard('read metadata', () => meta.get(key)),
      put: (key: string, doc: JsonObject, options: CasOptions) => guard('write metadata', () => meta.put(key, doc, options)),
      delete: (key: string, options: { readonly ifRevision: string }) => guard('delete metadata', () => meta.delete(key, options)),
      list: (prefix: string, options?: ListDocsOptions): AsyncIterable<StoredDoc> =>
        guardIter('list metadata', () => readable(meta.list(prefix, options), options?.includeUnreadable === true)),
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
    try {
      return await fn()
    } catch (err) {
      throw OmegaError.is(err) ? err : errors.backend(this.location, op, err)
    }
  }

  async *#guardIter<T>(op: string, fn: () => AsyncIterable<T>): AsyncIterable<T> {
    this.#check()
    try {
      yield* fn()
    } catch (err) {
      throw OmegaError.is(err) ? err : errors.backend(this.location, op, err)
    }
  }
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
  // Hold back the last chunk until the hash is checked, so a consumer that stops early still gets
  // only bytes that are part of a verified prefix; the final chunk is released after verification.
  let pending: Uint8Array | undefined
  for await (const chunk of hasher.pipe(source, signal)) {
    if (pending) yield pending
    pending = chunk
    if (size !== undefined && hasher.size > size) throw integrity(sha256, `is longer than its recorded ${size} bytes`)
  }
  if (size !== undefined && hasher.size !== size) {
    throw integrity(sha256, `has ${hasher.size} bytes, ${size} were recorded (truncated?)`)
  }
  if (hasher.digest() !== sha256) throw integrity(sha256, `does not match its sha256 (stored bytes were modified)`)
  if (pending) yield pending
}

function integrity(sha256: string, what: string): OmegaError {
  return new OmegaError(
    'E_INTEGRITY',
    `stored blob ${sha256.slice(0, 12)}… ${what}; restore it from a backup or put the object again`,
    { details: { sha256 } },
  )
}
