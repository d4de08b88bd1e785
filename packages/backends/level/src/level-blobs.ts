import { randomUUID } from 'node:crypto'
import type { FileHandle } from 'node:fs/promises'
import type { ClassicLevel, BatchOperation } from 'classic-level'
import {
  HashingReader,
  errors,
  isSha256,
  readBlobFile,
  readBlobFileInto,
  throwIfAborted,
  type BlobRef,
  type BlobStore,
  type ListedBlob,
  type SignalOptions,
} from '@omega/core'
import { KeyedMutex } from './mutex.js'
import { upperBound } from './key-range.js'
import type { LevelBlobFiles } from './level-blob-files.js'

export const BLOB = 'b!'
export const CHUNK = 'c!'

/**
 * Blobs of one chunk up to this size are read with a synchronous get: for a small model the
 * thread-pool round trip of an async read costs more than the read (a sync read of 64 KiB from
 * LevelDB's cache takes microseconds); larger ones stream asynchronously.
 */
const SYNC_READ_MAX = 64 * 1024

/** At most this many blob headers are remembered (about 100 bytes each). */
const KNOWN_HEADERS = 65_536

/** A blob's header, `b!<sha256>`: where its bytes are. */
export interface BlobHeader {
  size: number
  /** The write id: its chunks are `c!<id>!<index>`, its temp file `blobs/tmp/<id>`. */
  id: string
  /** Chunks in LevelDB (0 for a blob kept as a file). */
  chunks: number
  /** When the header was written (ms since the epoch); absent in stores written before it existed. */
  at?: number
  /** The bytes are the file `blobs/<ab>/<sha256>` beside the database (see {@link LevelBlobFiles}). */
  file?: true
}

/**
 * The blob half of a LevelDB store. Blobs up to `fileMin` bytes (models, most dataset parts) are
 * chunks in LevelDB published by one header write, with the header in the same batch as the last
 * chunk; larger ones are files beside the database ({@link LevelBlobFiles}). Either way a blob
 * becomes visible by its header alone, so an interrupted write leaves only unreferenced bytes.
 */
export class LevelBlobs implements BlobStore {
  /** Write ids whose chunks or temp file are being written now: never leftovers. */
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
    readonly files: LevelBlobFiles,
    readonly chunkSize: number,
    readonly fileMin: number,
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
    let pending: Uint8Array[] = []
    let pendingBytes = 0
    let file: { readonly handle: FileHandle; readonly path: string } | undefined
    let closed = false
    /** The first `bytes` of what is pending, as one buffer. */
    const take = (bytes: number): Buffer => {
      const all = Buffer.concat(pending, pendingBytes)
      pending = bytes < pendingBytes ? [all.subarray(bytes)] : []
      pendingBytes -= bytes
      return all.subarray(0, bytes)
    }
    const startFile = async (): Promise<{ readonly handle: FileHandle; readonly path: string }> => {
      const created = await this.files.create(id)
      file = created
      for (const p of pending) await created.handle.writeFile(p)
      pending = []
      pendingBytes = 0
      return created
    }
    try {
      for await (const piece of hasher.pipe(source, options.signal)) {
        if (file) {
          await file.handle.writeFile(piece)
          continue
        }
        pending.push(piece)
        pendingBytes += piece.byteLength
        if (this.fileMin === Infinity) {
          // Every blob in LevelDB: chunks stream in as they fill.
          while (pendingBytes >= this.chunkSize) await this.db.put(chunkKey(id, index++), take(this.chunkSize), { valueEncoding: 'view' })
        } else if (pendingBytes > this.chunkSize) {
          // Larger than one chunk: streamed to a file from here (up to a chunk is held, so that
          // most blobs are hashed before anything is written, and a put of stored bytes writes nothing).
          await startFile()
        }
      }
      const sha256 = hasher.digest()
      const size = hasher.size
      const finish = async (handle: FileHandle): Promise<void> => {
        // Bytes already stored (a put of the same data): no fsync of a file that is about to go.
        if ((await this.#header(sha256)) === undefined) await handle.sync()
        await handle.close()
        closed = true
      }
      if (file) await finish(file.handle)
      // Check and publish under a per-blob mutex: two writers of the same bytes would otherwise both
      // publish a header, and the bytes of the overwritten one would never be collected.
      return await this.#publishing.run(sha256, async () => {
        const existing = this.#known?.get(sha256) ?? ((await this.db.get(BLOB + sha256)) as BlobHeader | undefined)
        if (existing !== undefined) {
          this.#remember(sha256, existing)
          if (file) await this.files.remove(file.path)
          await this.#dropChunks(id, index)
          return { sha256, size }
        }
        const ops: BatchOperation<ClassicLevel<string, unknown>, string, unknown>[] = []
        let header: BlobHeader
        if (file) {
          await this.files.publish(file.path, sha256)
          header = { size, id, chunks: 0, at: Date.now(), file: true }
        } else if (pendingBytes > this.fileMin) {
          // Held in memory until its hash said it is new: only now is the file written.
          const written = await startFile()
          await finish(written.handle)
          await this.files.publish(written.path, sha256)
          header = { size, id, chunks: 0, at: Date.now(), file: true }
        } else {
          // The last chunk and the header go in one batch: small blobs cost one write.
          if (pendingBytes > 0) ops.push({ type: 'put', key: chunkKey(id, index++), value: take(pendingBytes), valueEncoding: 'view' })
          header = { size, id, chunks: index, at: Date.now() }
        }
        ops.push({ type: 'put', key: BLOB + sha256, value: header })
        await this.db.batch(ops)
        this.#remember(sha256, header)
        return { sha256, size }
      })
    } catch (err) {
      if (file) {
        if (!closed) await file.handle.close().catch(() => undefined)
        await this.files.remove(file.path).catch(() => undefined)
      }
      await this.#dropChunks(id, index).catch(() => undefined)
      throw err
    }
  }

  async *read(sha256: string, options: SignalOptions = {}): AsyncIterable<Uint8Array> {
    throwIfAborted(options.signal)
    const header = await this.#header(sha256)
    if (!header) throw errors.notFound('blob', sha256)
    if (header.file) {
      yield* readBlobFile(this.files.path(sha256), sha256, options.signal)
      return
    }
    if (header.chunks === 1 && header.size <= SYNC_READ_MAX) {
      yield this.#syncChunk(header, 0, sha256)
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

  /**
   * A blob kept as a file is read straight into `target` (no copy, as on fs). A blob in LevelDB
   * is copied from the values classic-level returns: small ones (one synchronous get), and large
   * ones only in stores written before large blobs became files.
   */
  async readInto(sha256: string, target: Uint8Array, options: SignalOptions = {}): Promise<number> {
    throwIfAborted(options.signal)
    const header = await this.#header(sha256)
    if (!header) throw errors.notFound('blob', sha256)
    if (header.file) return await readBlobFileInto(this.files.path(sha256), sha256, target, options.signal)
    if (header.chunks === 1 && header.size <= SYNC_READ_MAX) return copyInto(target, 0, this.#syncChunk(header, 0, sha256))
    let filled = 0
    for await (const chunk of this.read(sha256, options)) {
      filled += copyInto(target, filled, chunk)
      if (filled === target.byteLength) break
    }
    return filled
  }

  #syncChunk(header: BlobHeader, index: number, sha256: string): Uint8Array {
    const chunk = this.db.getSync(chunkKey(header.id, index), { valueEncoding: 'view' }) as Uint8Array | undefined
    if (chunk === undefined) throw errors.notFound(`chunk ${index} of blob`, sha256)
    return chunk
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
      // After the header: a crash in between leaves a file no header names, which fsck collects.
      if (header.file) await this.files.remove(this.files.path(sha256))
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

/** Copies as much of `bytes` as fits into `target` at `offset`; returns how many bytes it copied. */
function copyInto(target: Uint8Array, offset: number, bytes: Uint8Array): number {
  const n = Math.min(bytes.byteLength, target.byteLength - offset)
  target.set(n === bytes.byteLength ? bytes : bytes.subarray(0, n), offset)
  return n
}

export function chunkKey(id: string, index: number): string {
  return `${CHUNK}${id}!${String(index).padStart(10, '0')}`
}
