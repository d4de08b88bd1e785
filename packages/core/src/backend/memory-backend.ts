import { randomUUID } from 'node:crypto'
import { errors, throwIfAborted } from '../errors.js'
import type { JsonObject } from '../json.js'
import { HashingReader, collectBytes } from './hashing.js'
import type {
  BackendManifest,
  BlobRef,
  BlobStore,
  CasOptions,
  ListDocsOptions,
  ListedBlob,
  MetadataStore,
  SignalOptions,
  StorageBackend,
  StoredDoc,
} from './storage-backend.js'

/**
 * The in-memory reference backend (`memory:`): every open gets a fresh, empty store that lives
 * until the process ends. Single-threaded JavaScript makes each CAS atomic without locks.
 */
export class MemoryBackend implements StorageBackend {
  static readonly SCHEME = 'memory'
  readonly scheme = MemoryBackend.SCHEME
  readonly location: string
  readonly supports: BackendManifest = { permanence: false, multiProcess: false, multiThread: false }
  /** The raw maps, for tests that tamper with stored bytes. */
  readonly data = { blobs: new Map<string, Uint8Array>(), docs: new Map<string, { doc: string; revision: string }>() }
  readonly blobs: BlobStore
  readonly meta: MetadataStore

  constructor(name: string = randomUUID()) {
    this.location = `memory:${name}`
    this.blobs = new MemoryBlobs(this.data.blobs)
    this.meta = new MemoryMeta(this.data.docs)
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The `memory:` URL factory: `memory:` is a fresh store, `memory:<name>` names it (for messages). */
export function memoryBackendFactory(url: string): MemoryBackend {
  return new MemoryBackend(url.slice(`${MemoryBackend.SCHEME}:`.length) || undefined)
}

class MemoryBlobs implements BlobStore {
  /** When each blob was written (ms since the epoch). */
  readonly #written = new Map<string, number>()
  constructor(readonly map: Map<string, Uint8Array>) {}

  async write(source: Uint8Array | AsyncIterable<Uint8Array>, options: SignalOptions = {}): Promise<BlobRef> {
    throwIfAborted(options.signal)
    const hasher = new HashingReader()
    // Copy: the caller may reuse its buffer after write() resolves.
    const bytes = (await collectBytes(hasher.pipe(source, options.signal))).slice()
    const sha256 = hasher.digest()
    if (!this.map.has(sha256)) {
      this.map.set(sha256, bytes)
      this.#written.set(sha256, Date.now())
    }
    return { sha256, size: bytes.byteLength }
  }

  async *read(sha256: string, options: SignalOptions = {}): AsyncIterable<Uint8Array> {
    throwIfAborted(options.signal)
    const bytes = this.map.get(sha256)
    if (!bytes) throw errors.notFound('blob', sha256)
    yield bytes.slice()
  }

  async has(sha256: string): Promise<boolean> {
    return this.map.has(sha256)
  }

  async delete(sha256: string): Promise<void> {
    this.map.delete(sha256)
    this.#written.delete(sha256)
  }

  async *list(): AsyncIterable<ListedBlob> {
    for (const [sha256, bytes] of [...this.map]) {
      const at = this.#written.get(sha256)
      yield { sha256, size: bytes.byteLength, ...(at !== undefined && { modifiedAt: at }) }
    }
  }
}

class MemoryMeta implements MetadataStore {
  #seq = 0
  constructor(readonly map: Map<string, { doc: string; revision: string }>) {}

  async get(key: string): Promise<StoredDoc | undefined> {
    const entry = this.map.get(key)
    if (!entry) return undefined
    const doc = parseDoc(entry.doc)
    if (typeof doc === 'string') throw errors.unreadableDocument(key, doc)
    return { key, doc, revision: entry.revision }
  }

  async put(key: string, doc: JsonObject, options: CasOptions): Promise<string> {
    const current = this.map.get(key)
    if ((current?.revision ?? null) !== options.ifRevision) throw errors.conflict(key)
    const revision = String(++this.#seq)
    this.map.set(key, { doc: JSON.stringify(doc), revision })
    return revision
  }

  async delete(key: string, options: { readonly ifRevision: string }): Promise<void> {
    const current = this.map.get(key)
    if (!current) throw errors.notFound('document', key)
    if (current.revision !== options.ifRevision) throw errors.conflict(key)
    this.map.delete(key)
  }

  async *listKeys(prefix: string, options: ListDocsOptions = {}): AsyncIterable<string> {
    const keys = [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort()
    if (options.reverse) keys.reverse()
    yield* keys.slice(0, options.limit ?? keys.length)
  }

  async *list(prefix: string, options: ListDocsOptions = {}): AsyncIterable<StoredDoc> {
    for await (const key of this.listKeys(prefix, options)) {
      throwIfAborted(options.signal)
      const entry = this.map.get(key)
      if (!entry) continue
      const doc = parseDoc(entry.doc)
      yield typeof doc === 'string' ? { key, doc: {}, revision: '', unreadable: doc } : { key, doc, revision: entry.revision }
    }
  }
}

/** The stored JSON object, or why it is not one (tests tamper with `data.docs`). */
function parseDoc(text: string): JsonObject | string {
  try {
    const doc = JSON.parse(text) as unknown
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as JsonObject) : 'not a JSON object'
  } catch (err) {
    return `invalid JSON: ${(err as Error).message}`
  }
}
