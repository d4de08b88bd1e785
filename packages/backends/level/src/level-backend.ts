import { randomUUID } from 'node:crypto'
import { resolve } from 'node:path'
import { ClassicLevel, type BatchOperation } from 'classic-level'
import {
  HashingReader,
  errors,
  isSha256,
  throwIfAborted,
  type BackendManifest,
  type BlobRef,
  type BlobStore,
  type ListedBlob,
  type ScratchStore,
  type MetadataStore,
  type SignalOptions,
  type StorageBackend,
} from '@omega/core'
import { mapLevelError } from './errors.js'
import { KeyedMutex } from './mutex.js'
import { upperBound } from './key-range.js'
import { LevelMeta } from './level-meta.js'

/** Options of {@link LevelBackend}. */
export interface LevelBackendOptions {
  /** Bytes per stored blob chunk: large blobs stream in chunks of this size. @default 4 MiB */
  readonly chunkSize?: number
  /**
   * LevelDB write buffer (memtable) size. Larger buffers mean fewer flushes and compactions when
   * large datasets are written. @default 16 MiB
   */
  readonly writeBufferSize?: number
  /**
   * Let other threads of this process open the same directory (classic-level `multithreading`).
   * Off by default: then LevelDB's lock also refuses a second opener in this process (E_LOCKED),
   * which the in-process compare-and-set relies on. omega's pool runtime never needs it, because
   * the main thread reads and commits for its workers.
   * @default false
   */
  readonly multithreading?: boolean
}

const BLOB = 'b!'
const CHUNK = 'c!'
const DEFAULT_CHUNK = 4 * 1024 * 1024
/**
 * Blobs of one chunk up to this size are read with a synchronous get: for a small model the
 * thread-pool round trip of an async read costs more than the read (a sync read of 64 KiB from
 * LevelDB's cache takes microseconds); larger ones stream asynchronously.
 */
const SYNC_READ_MAX = 64 * 1024

interface BlobHeader {
  size: number
  id: string
  chunks: number
  /** When the header was written (ms since the epoch); absent in stores written before it existed. */
  at?: number
}


/**
 * The embedded default backend (`level:<dir>`), on classic-level. One process opens a directory
 * at a time (a second gets E_LOCKED). Metadata compare-and-set is serialised by an in-process
 * per-key mutex, which is sound because LevelDB admits one opener. Blobs are split into chunks
 * written under a fresh write id and published by one header write (`b!<sha256>`), so a blob
 * larger than memory streams in, and an interrupted write leaves only unreferenced chunks.
 */
export class LevelBackend implements StorageBackend {
  static readonly SCHEME = 'level'
  readonly scheme = LevelBackend.SCHEME
  readonly location: string
  readonly supports: BackendManifest
  readonly blobs: BlobStore
  readonly meta: MetadataStore
  readonly scratch: ScratchStore
  readonly #db: ClassicLevel<string, unknown>
  readonly #chunkSize: number

  constructor(directory: string, options: LevelBackendOptions = {}) {
    this.location = resolve(directory)
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK
    const multithreading = options.multithreading ?? false
    this.supports = { permanence: true, multiProcess: false, multiThread: multithreading, orderedListing: true, exclusiveDelete: true }
    // Snappy is off: blob chunks (Arrow buffers, model weights) rarely compress and metadata is small.
    this.#db = new ClassicLevel<string, unknown>(this.location, {
      keyEncoding: 'utf8',
      valueEncoding: 'json',
      multithreading,
      writeBufferSize: options.writeBufferSize ?? 16 * 1024 * 1024,
      maxFileSize: 16 * 1024 * 1024,
      compression: false,
    } as object)
    const blobs = new LevelBlobs(this.#db, this.#chunkSize, !multithreading)
    this.blobs = blobs
    this.meta = new LevelMeta(this.#db)
    this.scratch = new LevelScratch(this.#db, blobs)
  }

  /** The underlying database, for diagnostics and tests that tamper with stored bytes. */
  get db(): ClassicLevel<string, unknown> {
    return this.#db
  }

  async open(): Promise<void> {
    try {
      await this.#db.open({ createIfMissing: true })
    } catch (err) {
      throw mapLevelError(err, this.location, 'open')
    }
  }

  async close(): Promise<void> {
    await this.#db.close()
  }
}

/** At most this many blob headers are remembered (about 100 bytes each). */
const KNOWN_HEADERS = 65_536

class LevelBlobs implements BlobStore {
  /** Write ids whose chunks are being written now: never leftovers. */
  readonly writing = new Set<string>()
  readonly #publishing = new KeyedMutex()
  /**
   * Headers this instance published or found while publishing, so that writing bytes already
   * stored, `has` and `delete` skip a read. Only where no other thread can write the database
   * (LevelDB admits one process): entries change only under the blob's publishing mutex, so a
   * read never caches a header a concurrent delete is removing.
   */
  readonly #known: Map<string, BlobHeader> | undefined

  constructor(
    readonly db: ClassicLevel<string, unknown>,
    readonly chunkSize: number,
    cacheHeaders: boolean,
  ) {
    this.#known = cacheHeaders ? new Map() : undefined
  }

  #remember(sha256: string, header: BlobHeader): void {
    if (!this.#known) return
    if (this.#known.size >= KNOWN_HEADERS) this.#known.clear()
    this.#known.set(sha256, header)
  }

  async write(source: Uint8Array | AsyncIterable<Uint8Array>, options: SignalOptions = {}): Promise<BlobRef> {
    throwIfAborted(options.signal)
    // The id starts with its creation time, so leftovers of a killed writer can be aged.
    const id = `${Date.now().toString(36)}.${randomUUID()}`
    this.writing.add(id)
    try {
      return await this.#write(id, source, options)
    } finally {
      this.writing.delete(id)
    }
  }

  async #write(id: string, source: Uint8Array | AsyncIterable<Uint8Array>, options: SignalOptions): Promise<BlobRef> {
    const hasher = new HashingReader()
    let index = 0
    let buffer: Uint8Array[] = []
    let buffered = 0
    const flush = async (): Promise<void> => {
      if (buffered === 0) return
      const chunk = Buffer.concat(buffer, buffered)
      await this.db.put(chunkKey(id, index++), chunk, { valueEncoding: 'view' })
      buffer = []
      buffered = 0
    }
    try {
      for await (const piece of hasher.pipe(source, options.signal)) {
        let offset = 0
        while (offset < piece.byteLength) {
          const take = Math.min(this.chunkSize - buffered, piece.byteLength - offset)
          buffer.push(piece.subarray(offset, offset + take))
          buffered += take
          offset += take
          if (buffered === this.chunkSize) await flush()
        }
      }
      const sha256 = hasher.digest()
      const size = hasher.size
      // Check and publish under a per-blob mutex: two writers of the same bytes would otherwise both
      // publish a header, and the chunks of the overwritten one would never be collected.
      return await this.#publishing.run(sha256, async () => {
        const existing = this.#known?.get(sha256) ?? ((await this.db.get(BLOB + sha256)) as BlobHeader | undefined)
        if (existing !== undefined) {
          this.#remember(sha256, existing)
          await this.#dropChunks(id, index)
          return { sha256, size }
        }
        // The last chunk and the header go in one batch: small blobs cost one write.
        const ops: BatchOperation<ClassicLevel<string, unknown>, string, unknown>[] = []
        if (buffered > 0) ops.push({ type: 'put', key: chunkKey(id, index++), value: Buffer.concat(buffer, buffered), valueEncoding: 'view' })
        const header: BlobHeader = { size, id, chunks: index, at: Date.now() }
        ops.push({ type: 'put', key: BLOB + sha256, value: header })
        await this.db.batch(ops)
        this.#remember(sha256, header)
        return { sha256, size }
      })
    } catch (err) {
      await this.#dropChunks(id, index).catch(() => undefined)
      throw err
    }
  }

  async *read(sha256: string, options: SignalOptions = {}): AsyncIterable<Uint8Array> {
    throwIfAborted(options.signal)
    const header = await this.#header(sha256)
    if (!header) throw errors.notFound('blob', sha256)
    if (header.chunks === 1 && header.size <= SYNC_READ_MAX) {
      const chunk = this.db.getSync(chunkKey(header.id, 0), { valueEncoding: 'view' }) as Uint8Array | undefined
      if (chunk === undefined) throw errors.notFound('chunk 0 of blob', sha256)
      yield chunk
      return
    }
    // Chunks are fetched a few at a time with getMany: one native call for up to 16 MiB.
    for (let i = 0; i < header.chunks; i += 4) {
      throwIfAborted(options.signal)
      const keys = Array.from({ length: Math.min(4, header.chunks - i) }, (_, k) => chunkKey(header.id, i + k))
      const chunks = (await this.db.getMany(keys, { valueEncoding: 'view' })) as (Uint8Array | undefined)[]
      for (const [k, chunk] of chunks.entries()) {
        if (chunk === undefined) throw errors.notFound(`chunk ${i + k} of blob`, sha256)
        yield chunk
      }
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.#header(sha256)) !== undefined
  }

  async delete(sha256: string): Promise<void> {
    await this.#publishing.run(sha256, async () => {
      const header = await this.#header(sha256)
      this.#known?.delete(sha256)
      if (!header) return
      await this.db.batch([
        { type: 'del', key: BLOB + sha256 },
        ...Array.from({ length: header.chunks }, (_, i) => ({ type: 'del' as const, key: chunkKey(header.id, i) })),
      ])
    })
  }

  async *list(options: SignalOptions = {}): AsyncIterable<ListedBlob> {
    for await (const [key, value] of this.db.iterator({ gte: BLOB, lt: upperBound(BLOB) })) {
      throwIfAborted(options.signal)
      const header = value as BlobHeader
      yield { sha256: key.slice(BLOB.length), size: header.size, ...(header.at !== undefined && { modifiedAt: header.at }) }
    }
  }

  async #header(sha256: string): Promise<BlobHeader | undefined> {
    if (!isSha256(sha256)) return undefined
    return this.#known?.get(sha256) ?? (this.db.getSync(BLOB + sha256) as BlobHeader | undefined)
  }

  async #dropChunks(id: string, count: number): Promise<void> {
    if (count === 0) return
    await this.db.batch(Array.from({ length: count }, (_, i) => ({ type: 'del' as const, key: chunkKey(id, i) })))
  }
}

/**
 * Chunks no blob header refers to: left by a writer that was killed before its header write.
 * Listing reads every chunk key (not values) once; fsck calls it, opening does not.
 */
class LevelScratch implements ScratchStore {
  constructor(
    readonly db: ClassicLevel<string, unknown>,
    readonly blobs: LevelBlobs,
  ) {}

  async *list(options: SignalOptions = {}): AsyncIterable<{ id: string; size: number; modifiedAt: number }> {
    const live = new Set<string>()
    for await (const value of this.db.values({ gte: BLOB, lt: upperBound(BLOB) })) live.add((value as BlobHeader).id)
    const orphans = new Map<string, number>()
    for await (const key of this.db.keys({ gte: CHUNK, lt: upperBound(CHUNK) })) {
      throwIfAborted(options.signal)
      const id = key.slice(CHUNK.length, key.lastIndexOf('!'))
      if (!live.has(id) && !this.blobs.writing.has(id)) orphans.set(id, (orphans.get(id) ?? 0) + 1)
    }
    for (const id of orphans.keys()) {
      if (this.blobs.writing.has(id)) continue
      let size = 0
      for await (const value of this.db.values({ gte: `${CHUNK}${id}!`, lt: upperBound(`${CHUNK}${id}!`), valueEncoding: 'view' })) size += (value as Uint8Array).byteLength
      const dot = id.indexOf('.')
      const born = dot > 0 ? parseInt(id.slice(0, dot), 36) : NaN
      yield { id: `chunks:${id}`, size, modifiedAt: Number.isFinite(born) ? born : 0 }
    }
  }

  async delete(id: string): Promise<void> {
    if (!id.startsWith('chunks:')) throw errors.invalidArgument(`"${id}" is not a leftover of this store`)
    const writeId = id.slice('chunks:'.length)
    if (this.blobs.writing.has(writeId)) return
    const keys: string[] = []
    for await (const key of this.db.keys({ gte: `${CHUNK}${writeId}!`, lt: upperBound(`${CHUNK}${writeId}!`) })) keys.push(key)
    if (keys.length > 0) await this.db.batch(keys.map((key) => ({ type: 'del' as const, key })))
  }
}

function chunkKey(id: string, index: number): string {
  return `${CHUNK}${id}!${String(index).padStart(10, '0')}`
}
