import { randomUUID } from 'node:crypto'
import { closeSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, writeSync, type Dirent } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import {
  errors,
  isSha256,
  pace,
  syncDirectory,
  throwIfAborted,
  type BackendManifest,
  type BlobStore,
  type CasOptions,
  type DeleteDocOptions,
  type JsonObject,
  type ListDocsOptions,
  type MetadataStore,
  type StorageBackend,
  type StoredDoc,
  type ScratchStore,
} from '@omega/core'
import { FsBlobs } from './fs-blobs.js'
import { fsyncFd, unlinkIfThere, unlinkQuietly } from './file-ops.js'
import { TRASH_SUFFIX, Trash } from './fs-trash.js'
import { withFileLock } from './fs-lock.js'
import { FsScratch } from './fs-scratch.js'
import { Unreadable, readDoc, readDocFile, readDocIfFits, type FileDoc } from './doc-file.js'
import { decodeSegment, encodeKey, encodePlainKey, encodeSegment, keptDirectories } from './key-path.js'

/** Options of {@link FsBackend}. */
export interface FsBackendOptions {
  /**
   * fsync files and their directories before a write is reported done, so a power loss cannot
   * lose or tear a committed object. Turning it off trades that for speed (tests, scratch data).
   * @default true
   */
  readonly fsync?: boolean
}


/** Keys whose document paths {@link Paths} remembers (a pure function of the key: never stale). */
const DOC_PATHS_CACHED = 4096

/** Temp files older than this at open were left by a killed writer and are removed. */
const STALE_TEMP_MS = 60 * 60 * 1000

/**
 * A store in a plain directory (`fs:<dir>`): `meta/` holds one JSON file per document (key
 * segments as encoded directory and file names), `blobs/<2 hex>/<sha256>` the bytes, `tmp/`
 * writes in progress. Every write goes to `tmp/`, is fsynced, then renamed into place, so readers
 * see the old file or the new one, never a torn one. Compare-and-set takes an O_EXCL lock file
 * per document, so several processes may share the directory.
 */
export class FsBackend implements StorageBackend {
  static readonly SCHEME = 'fs'
  readonly scheme = FsBackend.SCHEME
  readonly location: string
  readonly supports: BackendManifest = { permanence: true, multiProcess: true, multiThread: true, exclusiveDelete: true }
  readonly blobs: BlobStore
  readonly meta: MetadataStore
  readonly scratch: ScratchStore
  readonly #paths: Paths

  constructor(directory: string, options: FsBackendOptions = {}) {
    this.location = resolve(directory)
    this.#paths = new Paths(this.location, options.fsync ?? true)
    this.blobs = new FsBlobs(this.#paths)
    this.meta = new FsMeta(this.#paths)
    this.scratch = new FsScratch(this.location, this.#paths.trash)
  }

  /** The file that holds a metadata document, for diagnostics and tests that tamper with documents. */
  docPath(key: string): string {
    return this.#paths.meta(key)
  }

  /** The file that holds a blob, for diagnostics and tests that tamper with stored bytes. */
  blobPath(sha256: string): string {
    return this.#paths.blob(sha256)
  }

  async open(): Promise<void> {
    for (const d of ['meta', 'blobs', 'tmp']) await mkdir(join(this.location, d), { recursive: true })
    const tmp = join(this.location, 'tmp')
    for (const name of await readdir(tmp)) {
      const path = join(tmp, name)
      // Trash is garbage at any age (a removal whose process died before the file was unlinked).
      if (name.endsWith(TRASH_SUFFIX)) {
        await rm(path, { force: true })
        continue
      }
      const s = await stat(path).catch(() => undefined)
      if (s && Date.now() - s.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true })
    }
  }

  /** Waits for removed files still being unlinked in the background (see {@link Trash}). */
  async close(): Promise<void> {
    await this.#paths.trash.drained()
  }
}

/** Where things are in the store directory, and the atomic-write steps every writer uses. */
export class Paths {
  /** Where removed documents and blobs go: they vanish at once and are unlinked in the background. */
  readonly trash: Trash

  constructor(
    readonly root: string,
    readonly fsync: boolean,
  ) {
    this.trash = new Trash(root)
  }

  /** Paths of recently used keys: one operation asks for its key's path several times. */
  readonly #docPaths = new Map<string, { readonly path: string; readonly plain: string | undefined }>()

  meta(key: string): string {
    return this.#docPath(key).path
  }

  /** Where a store written before the collapsed layout kept a long key, if that differs from {@link meta}. */
  plainMeta(key: string): string | undefined {
    return this.#docPath(key).plain
  }

  #docPath(key: string): { readonly path: string; readonly plain: string | undefined } {
    let found = this.#docPaths.get(key)
    if (found) return found
    const path = this.#inside(join(this.root, 'meta', ...encodeKey(key)) + '.json')
    const plain = this.#inside(join(this.root, 'meta', ...encodePlainKey(key)) + '.json')
    found = { path, plain: plain === path ? undefined : plain }
    if (this.#docPaths.size >= DOC_PATHS_CACHED) this.#docPaths.clear()
    this.#docPaths.set(key, found)
    return found
  }

  metaDir(segments: readonly string[]): string {
    return this.#inside(join(this.root, 'meta', ...segments.map(encodeSegment)))
  }

  blob(sha256: string): string {
    if (!isSha256(sha256)) throw errors.invalidArgument(`"${sha256}" is not a sha256 address`)
    return join(this.root, 'blobs', sha256.slice(0, 2), sha256)
  }

  temp(): string {
    return join(this.root, 'tmp', randomUUID())
  }

  /** Defence in depth: encoding already makes escaping impossible. */
  #inside(path: string): string {
    if (!path.startsWith(this.root + sep)) throw errors.invalidName(path, 'resolves outside the store directory')
    return path
  }

  /**
   * Writes (and fsyncs) a new temp file and returns its path. Documents are a few KB: open, write
   * and close are synchronous calls of a few microseconds each; only the fsync, which waits for
   * the disk, goes to the thread pool.
   */
  async writeTemp(data: string | Uint8Array): Promise<string> {
    const tmp = this.temp()
    const fd = openSync(tmp, 'w')
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data
      for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at, bytes.byteLength - at)
      if (this.fsync) await fsyncFd(fd)
    } catch (err) {
      closeSync(fd)
      unlinkIfThere(tmp)
      throw err
    }
    closeSync(fd)
    return tmp
  }

  /**
   * Writes a file atomically: temp file, fsync, rename, fsync of the directory. The file it
   * replaces is kept in the trash first, so the rename does not free its blocks (see {@link Trash}).
   */
  async writeAtomic(target: string, data: string | Uint8Array): Promise<void> {
    const tmp = await this.writeTemp(data)
    try {
      this.trash.keep(target)
      renameSync(tmp, target)
    } catch (err) {
      unlinkIfThere(tmp)
      throw err
    }
    await this.syncDir(dirname(target))
  }

  /** Makes the directory's entries (a new, renamed or removed file) durable. */
  async syncDir(dir: string): Promise<void> {
    if (this.fsync) await syncDirectory(dir)
  }
}

interface Candidate {
  key: string | undefined
  path: string
}

class FsMeta implements MetadataStore {
  constructor(readonly paths: Paths) {}

  async get(key: string): Promise<StoredDoc | undefined> {
    const file = this.#current(key)?.file
    return file && { key, doc: file.doc, revision: file.rev }
  }

  /**
   * A long key an older store kept in the plain layout moves to its current path on update: the
   * old file goes (also one left by a crash mid-move, so a drop never brings an old revision back).
   */
  #removePlain(key: string): void {
    const plain = this.paths.plainMeta(key)
    // Usually not there; a path too long for this system holds nothing either.
    if (plain !== undefined) unlinkQuietly(plain)
  }

  /** The document of a key and where it is: its path, or where an older store kept a long key. */
  #current(key: string): { path: string; file: FileDoc } | undefined {
    const path = this.paths.meta(key)
    const file = readDoc(path, key)
    if (file) return { path, file }
    const plain = this.paths.plainMeta(key)
    const old = plain === undefined ? undefined : readDocIfFits(plain, key)
    return old && plain ? { path: plain, file: old } : undefined
  }

  async put(key: string, doc: JsonObject, options: CasOptions): Promise<string> {
    const path = this.paths.meta(key)
    mkdirSync(dirname(path), { recursive: true })
    if (options.ifRevision === null) return await this.#create(key, path, doc)
    return await withFileLock(path, async () => {
      const current = this.#current(key)
      if ((current?.file.rev ?? null) !== options.ifRevision) throw errors.conflict(key)
      const rev = randomUUID()
      await this.paths.writeAtomic(path, JSON.stringify({ key, rev, doc } satisfies FileDoc))
      this.#removePlain(key)
      return rev
    }, { tempPath: this.paths.temp() })
  }

  /**
   * Create-only needs no lock: link(2) publishes the fully written temp file under the target name
   * atomically and fails with EEXIST if any document is there, whichever process wrote it.
   */
  async #create(key: string, path: string, doc: JsonObject): Promise<string> {
    const plain = this.paths.plainMeta(key)
    if (plain !== undefined && readDocIfFits(plain, key)) throw errors.conflict(key)
    const rev = randomUUID()
    const tmp = await this.paths.writeTemp(JSON.stringify({ key, rev, doc } satisfies FileDoc))
    try {
      linkSync(tmp, path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw errors.conflict(key)
      throw err
    } finally {
      unlinkIfThere(tmp)
    }
    await this.paths.syncDir(dirname(path))
    return rev
  }

  async delete(key: string, options: DeleteDocOptions): Promise<void> {
    const path = this.paths.meta(key)
    await withFileLock(path, async () => {
      const current = this.#current(key)
      if (!current) throw errors.notFound('document', key)
      if (current.file.rev !== options.ifRevision) throw errors.conflict(key)
      // Under the lock: a writer of this key waits for it, and a create fails while the file is there.
      await options.before?.()
      this.paths.trash.discard(current.path)
      this.#removePlain(key)
      if (options.durable !== false) await this.paths.syncDir(dirname(current.path))
    }, { tempPath: this.paths.temp() })
  }

  async *list(prefix: string, options: ListDocsOptions = {}): AsyncIterable<StoredDoc> {
    let n = 0
    for (const entry of await this.#entries(prefix, options.reverse === true)) {
      if (options.limit !== undefined && n >= options.limit) return
      throwIfAborted(options.signal)
      const file = entry.file ?? readDocFile(entry.path)
      if (!file) continue
      n++
      // One torn document must not fail the listing: it is yielded as unreadable (core skips it, fsck reports it).
      if (file instanceof Unreadable) yield { key: entry.key, doc: {}, revision: '', unreadable: file.reason }
      else yield { key: file.key, doc: file.doc, revision: file.rev }
    }
  }

  /** The keys {@link list} yields, from the directory listing alone (only hashed long names are read to learn their keys). */
  async *listKeys(prefix: string, options: ListDocsOptions = {}): AsyncIterable<string> {
    const entries = await this.#entries(prefix, options.reverse === true)
    for (const entry of entries.slice(0, options.limit ?? entries.length)) {
      throwIfAborted(options.signal)
      yield entry.key
    }
  }

  /** The documents that may have keys starting with `prefix`, in key order, from one walk of their directories. */
  async #entries(prefix: string, reverse: boolean): Promise<{ key: string; path: string; file?: FileDoc | Unreadable }[]> {
    const segments = prefix.split('/')
    segments.pop()
    // Walk from the directories every key with this prefix has, whichever layout it uses.
    const start = segments.slice(0, keptDirectories(segments.map(encodeSegment), segments.length))
    const base = start.length ? start.join('/') + '/' : ''
    const found: Candidate[] = []
    await this.#walk(this.paths.metaDir(start), base, prefix.slice(base.length), prefix, found, false)
    const byKey = new Map<string, { key: string; path: string; file?: FileDoc | Unreadable }>()
    for (const c of found) {
      const file = c.key === undefined ? readDocFile(c.path) : undefined
      if (file instanceof Unreadable) {
        byKey.set(c.path, { key: c.path, path: c.path, file })
        continue
      }
      const key = c.key ?? file?.key
      if (key === undefined || !key.startsWith(prefix)) continue
      // Both layouts of one long key (a move interrupted by a crash): the current path wins.
      if (!byKey.has(key) || c.path === this.paths.meta(key)) byKey.set(key, { key, path: c.path, ...(file && { file }) })
    }
    const known = [...byKey.values()]
    known.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    if (reverse) known.reverse()
    return known
  }

  /**
   * Collects the documents below `dir` (whose key prefix is `base`) that may start with `prefix`;
   * `rest` is what of `prefix` is still to match below `dir`. Below a hashed directory the keys are
   * unknown (`unknown`): those files are read to learn them.
   */
  async #walk(dir: string, base: string, rest: string, prefix: string, out: Candidate[], unknown: boolean): Promise<void> {
    // Directories are read synchronously (a few microseconds each, against a thread-pool round trip
    // per directory); a long walk gives the event loop its turns as every store call does.
    const turn = pace()
    if (turn) await turn
    const entries = readdirIfThere(dir)
    for (const entry of entries) {
      const name = entry.name
      // A directory entry's name holds no separator: concatenation is join() without its normalising pass.
      const path = `${dir}${sep}${name}`
      if (entry.isDirectory()) {
        const seg = decodeSegment(name)
        const child = `${seg.text}/`
        if (unknown || !seg.complete) {
          if (unknown || compatible(seg.text, rest)) await this.#walk(path, '', '', prefix, out, true)
        } else if (child.startsWith(rest)) await this.#walk(path, base + child, '', prefix, out, false)
        else if (rest.startsWith(child)) await this.#walk(path, base + child, rest.slice(child.length), prefix, out, false)
      } else if (name.endsWith('.json')) {
        const seg = decodeSegment(name.slice(0, -'.json'.length))
        if (!unknown && seg.complete) {
          if ((base + seg.text).startsWith(prefix)) out.push({ key: base + seg.text, path })
        } else if (unknown || compatible(seg.text, rest)) out.push({ key: undefined, path })
      }
    }
  }
}

/** The entries of a directory; none if it is gone (or is not a directory). */
function readdirIfThere(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

/** For a hashed (truncated) segment: could the full segment start with `partial`? */
function compatible(knownPrefix: string, partial: string): boolean {
  return knownPrefix.startsWith(partial) || partial.startsWith(knownPrefix)
}
