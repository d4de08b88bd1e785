import { resolve } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { errors, type BackendManifest, type BlobStore, type MetadataStore, type ScratchStore, type StorageBackend } from '@omega/core'
import { mapLevelError } from './errors.js'
import { LevelBlobFiles } from './level-blob-files.js'
import { BLOB, LevelBlobs, type BlobHeader } from './level-blobs.js'
import { LevelMeta } from './level-meta.js'
import { LevelScratch } from './level-scratch.js'

/** Options of {@link LevelBackend}. */
export interface LevelBackendOptions {
  /** Bytes per blob chunk stored in LevelDB. @default 4 MiB */
  readonly chunkSize?: number
  /**
   * Blobs larger than this are files beside the database (`<dir>/blobs/`), read straight into a
   * get's buffer; smaller ones are LevelDB values. At most `chunkSize`; `Infinity` keeps every
   * blob in LevelDB (as stores before this option did; such stores read unchanged).
   * @default 1 MiB
   */
  readonly fileThreshold?: number
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

const DEFAULT_CHUNK = 4 * 1024 * 1024
/** Blobs larger than this are files beside the database by default (see LevelBlobFiles). */
const DEFAULT_FILE_THRESHOLD = 1024 * 1024

/**
 * The embedded default backend (`level:<dir>`), on classic-level. One process opens a directory
 * at a time (a second gets E_LOCKED). Metadata compare-and-set is serialised by an in-process
 * per-key mutex, which is sound because LevelDB admits one opener. Blobs are published by one
 * header write (`b!<sha256>`): small ones as chunks written under a fresh write id, large ones as
 * files beside the database ({@link LevelBlobFiles}), so an interrupted write leaves only
 * unreferenced bytes.
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
  readonly #files: LevelBlobFiles

  constructor(directory: string, options: LevelBackendOptions = {}) {
    this.location = resolve(directory)
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK
    const fileThreshold = options.fileThreshold ?? Math.min(DEFAULT_FILE_THRESHOLD, chunkSize)
    if (!(Number.isInteger(chunkSize) && chunkSize > 0)) throw errors.invalidArgument(`level.chunkSize must be a positive integer, got ${String(chunkSize)}`)
    if (!(fileThreshold === Infinity || (Number.isInteger(fileThreshold) && fileThreshold >= 0 && fileThreshold <= chunkSize))) {
      throw errors.invalidArgument(`level.fileThreshold must be a whole number of bytes up to chunkSize (${chunkSize}), or Infinity; got ${String(fileThreshold)}`)
    }
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
    this.#files = new LevelBlobFiles(this.location)
    const blobs = new LevelBlobs(this.#db, this.#files, chunkSize, fileThreshold, !multithreading)
    this.blobs = blobs
    this.meta = new LevelMeta(this.#db)
    this.scratch = new LevelScratch(this.#db, blobs)
  }

  /** The underlying database, for diagnostics and tests that tamper with stored bytes. */
  get db(): ClassicLevel<string, unknown> {
    return this.#db
  }

  /** The file that holds a blob kept beside the database, if it is one (for diagnostics and tests). */
  blobPath(sha256: string): string | undefined {
    const header = this.#db.getSync(BLOB + sha256) as BlobHeader | undefined
    return header?.file ? this.#files.path(sha256) : undefined
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
