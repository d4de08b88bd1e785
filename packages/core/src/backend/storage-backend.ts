import type { JsonObject } from '../json.js'

/**
 * What a backend guarantees beyond the base contract. Set in the constructor; never changes.
 * Callers and the conformance suite branch on it, never on the backend's name.
 */
export interface BackendManifest {
  /** Data survives `close()` and a later `open()` of the same location (memory: false). */
  readonly permanence: boolean
  /** Other processes may open the location concurrently (fs, s3). If false, a second opener gets E_LOCKED. */
  readonly multiProcess: boolean
  /** Worker threads of this process may open the location too. */
  readonly multiThread: boolean
  /**
   * Optional: `meta.list(prefix, { reverse: true, limit })` costs about `limit` reads whatever the
   * number of keys under `prefix` (an ordered index such as LevelDB's). Then core finds a name's
   * latest version by one reverse listing; otherwise (a directory, an object store) it keeps a
   * head hint document per name so as not to list every version. Absent means false.
   */
  readonly orderedListing?: boolean
  /**
   * Optional: `meta.delete(key, { ifRevision, before })` runs `before` after the revision matched
   * and before the document goes, while no other writer of that key (in any process) can change
   * or create it (fs: the document's lock file; LevelDB: its per-key mutex). Core then deletes a
   * blob whose last holder goes in one step under its reference record's exclusion, instead of
   * marking the record `deleting` first (one compare-and-set less per blob). Absent means false,
   * and core never passes `before`.
   */
  readonly exclusiveDelete?: boolean
}

/** Cancellation for long-running calls. An already-aborted signal rejects before any work. */
export interface SignalOptions {
  readonly signal?: AbortSignal
}

/** A stored blob: its content address and length. */
export interface BlobRef {
  readonly sha256: string
  readonly size: number
}

/**
 * A blob as {@link BlobStore.list} reports it. `modifiedAt` (ms since the epoch) is when the bytes
 * were last written; backends that know it report it, so that garbage collection can spare blobs
 * younger than its grace period (a put may be about to reference them). Unknown means "old".
 */
export interface ListedBlob extends BlobRef {
  readonly modifiedAt?: number
}

/**
 * Leftovers of writes that never finished (fs temp files, LevelDB chunks no header refers to).
 * Optional: a backend that can leave none (memory, S3 multipart uploads with a lifecycle rule)
 * omits it. `om.fsck({ repair: true })` removes entries older than its grace period.
 */
export interface ScratchStore {
  /** Every leftover, any order: an opaque id, its size and when it was last written. */
  list(options?: SignalOptions): AsyncIterable<{ readonly id: string; readonly size: number; readonly modifiedAt: number; readonly detail?: string }>
  /** Removes one leftover; a missing one is not an error. */
  delete(id: string): Promise<void>
}

/** A metadata document with the opaque revision that compare-and-set compares. */
export interface StoredDoc {
  readonly key: string
  readonly doc: JsonObject
  readonly revision: string
  /**
   * Set (to the reason) when the stored document cannot be parsed (a torn file, invalid JSON):
   * then `doc` is `{}` and `revision` is `''`. `MetadataStore.list` yields such entries instead of
   * failing the whole listing; `get` throws E_INTEGRITY naming the key. Core skips them in
   * listings unless `includeUnreadable` is asked for (fsck reports them as `bad-document`).
   */
  readonly unreadable?: string
}

/** Options of {@link MetadataStore.list}. */
export interface ListDocsOptions extends SignalOptions {
  /** Descending key order. @default false */
  readonly reverse?: boolean
  /** At most this many documents. */
  readonly limit?: number
  /** Core only: also yield unreadable documents (see {@link StoredDoc.unreadable}). Backends always yield them. */
  readonly includeUnreadable?: boolean
}

/** Options of {@link MetadataStore.delete}. */
export interface DeleteDocOptions {
  /** Deletes only if the stored revision equals this. */
  readonly ifRevision: string
  /**
   * Only for backends with {@link BackendManifest.exclusiveDelete}: runs once the revision matched,
   * before the document is deleted, while no other writer can change or create the document. If
   * it throws, the document stays and the error is the delete's.
   */
  readonly before?: () => Promise<void>
  /**
   * False where the caller recovers if a power failure brings the document back (a reference
   * record, whose return fsck or the next pin handles): a backend may then skip what makes the
   * deletion survive one (fs: the directory fsync, a journal commit). A process that dies
   * loses no deletion either way. @default true
   */
  readonly durable?: boolean
}

/** Options of {@link MetadataStore.put}: the revision the caller read, or null for "only if absent". */
export interface CasOptions {
  readonly ifRevision: string | null
}

/** One write of {@link MetadataStore.update}: `doc` stored under `key`, or `null` to delete it. */
export interface DocWrite {
  readonly key: string
  readonly doc: JsonObject | null
}

/**
 * Immutable, content-addressed bytes (sha256, lowercase hex). A blob is invisible to users until a
 * metadata document refers to it; so an orphan blob is garbage, never corruption.
 */
export interface BlobStore {
  /**
   * Stores the bytes and returns their sha256 and size. The backend computes the hash while it
   * streams, so a source larger than memory is never held whole. Writing bytes that are already
   * stored is a no-op. An interrupted or aborted write, or a source that throws, never leaves a
   * readable blob (fs: temp file + rename; LevelDB: chunks published by one header write; S3: one
   * conditional PUT or a completed multipart upload).
   */
  write(source: Uint8Array | AsyncIterable<Uint8Array>, options?: SignalOptions): Promise<BlobRef>
  /**
   * Streams the bytes of a stored blob in order. Throws E_NOT_FOUND if absent. Backends do not
   * verify the hash; core's verified wrapper does, and throws E_INTEGRITY on a mismatch.
   */
  read(sha256: string, options?: SignalOptions): AsyncIterable<Uint8Array>
  /**
   * Optional: reads the blob from its start into `target`, at most `target.byteLength` bytes, and
   * returns how many it read (fewer only when the blob is shorter). Throws E_NOT_FOUND if absent.
   * Core reads the parts of one object into one buffer it allocates (one allocation instead of
   * one per part, so less garbage collection) and verifies them there before any byte is handed
   * out; it passes one byte more than it expects, so a longer blob is seen without a stat.
   * Backends that can only hand out their own buffers (LevelDB values) omit it: core then keeps
   * their buffers as they are rather than copy them.
   */
  readInto?(sha256: string, target: Uint8Array, options?: SignalOptions): Promise<number>
  /** True if the blob is stored and readable. */
  has(sha256: string): Promise<boolean>
  /** Removes the blob; a missing blob is not an error. Core calls it only for unreferenced blobs. */
  delete(sha256: string): Promise<void>
  /** Every stored blob, in any order, with its age where known; for garbage collection and fsck. */
  list(options?: SignalOptions): AsyncIterable<ListedBlob>
}

/**
 * JSON documents under path-like keys (`bucket/prefix/name…`, at most a few KB each) with
 * compare-and-set on an opaque revision. Each `put`/`delete` is atomic: a reader sees the old
 * document or the new one, never a mix, even if the process dies mid-write.
 */
export interface MetadataStore {
  /** The document and its revision, or undefined. An unreadable document throws E_INTEGRITY naming the key. */
  get(key: string): Promise<StoredDoc | undefined>
  /**
   * Writes `doc` only if the stored revision equals `ifRevision` (null: only if no document
   * exists), else throws E_CONFLICT and changes nothing. Returns the new revision. Of any number
   * of concurrent writers with the same `ifRevision`, exactly one succeeds. This is the commit
   * point of every store operation.
   */
  put(key: string, doc: JsonObject, options: CasOptions): Promise<string>
  /** Deletes only if the stored revision equals `ifRevision`, else E_CONFLICT (E_NOT_FOUND if absent). */
  delete(key: string, options: DeleteDocOptions): Promise<void>
  /** Documents whose key starts with `prefix`, in ascending (or, with `reverse`, descending) key order. */
  list(prefix: string, options?: ListDocsOptions): AsyncIterable<StoredDoc>
  /**
   * Optional: the keys `list` would yield (unreadable documents included), in the same order,
   * without reading the documents. Backends where reading a document costs a request or a file
   * read (fs, S3) implement it so that core can list names without reading every version
   * document; without it, core uses `list`.
   */
  listKeys?(prefix: string, options?: ListDocsOptions): AsyncIterable<string>
  /**
   * Optional, for backends that one process owns and that can write several documents atomically
   * (LevelDB): reads the documents under `keys` (absent ones are missing from the map; an
   * unreadable one throws E_INTEGRITY naming it), then calls `fn` while no `put`, `delete` or
   * `update` of this store writes any of `keys`, and applies the writes `fn` returns all at once,
   * or none if `fn` throws (its error is rethrown) or the process dies. `fn` may write keys outside
   * `keys`; those are atomic with the rest but not locked. Returns the new revisions in the order
   * of the writes (`''` for a deletion). With it, core pins a blob and publishes the document that
   * uses it in one write, and keeps a blob's holders as documents of their own.
   */
  update?(keys: readonly string[], fn: (current: ReadonlyMap<string, StoredDoc>) => Promise<readonly DocWrite[]> | readonly DocWrite[]): Promise<string[]>
}

/**
 * A place for omega's bytes and metadata: LevelDB, a directory, an S3 prefix, memory, or a
 * plugin's. A backend implements these members and nothing else; names, keys, status and checksums
 * are validated once by core before a backend sees them. Keys handed to a backend are made of
 * validated name segments joined by `/`, plus `@`-prefixed and `#`-prefixed final segments.
 */
export interface StorageBackend {
  /** URL scheme: 'level' | 'fs' | 's3' | 'memory' | a plugin's. */
  readonly scheme: string
  /** Where the data is, for messages: a directory or `s3://bucket/prefix`. */
  readonly location: string
  readonly supports: BackendManifest
  readonly blobs: BlobStore
  readonly meta: MetadataStore
  /** Leftovers of interrupted writes, for fsck (optional). */
  readonly scratch?: ScratchStore | undefined
  /** Acquires the location; E_LOCKED if another process (or instance) holds it. Idempotent. */
  open(): Promise<void>
  /** Flushes and releases the location. Idempotent. */
  close(): Promise<void>
}

/** Builds a backend from a store URL (`fs:./data`, `s3://bucket/prefix`) and the open options. */
export type BackendFactory = (url: string, options: Readonly<Record<string, unknown>>) => StorageBackend | Promise<StorageBackend>
