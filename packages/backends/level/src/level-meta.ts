import { randomBytes } from 'node:crypto'
import type { ClassicLevel } from 'classic-level'
import { errors, throwIfAborted, type CasOptions, type DeleteDocOptions, type DocWrite, type JsonObject, type ListDocsOptions, type MetadataStore, type StoredDoc } from '@omega/core'
import { KeyedMutex } from './mutex.js'
import { upperBound } from './key-range.js'

const META = 'm!'

interface MetaEntry {
  r: string
  d: JsonObject
}

/**
 * Documents under `m!<key>` as `{ r: revision, d: document }`. Compare-and-set (and `update`, which
 * holds several keys) is serialised by an in-process per-key mutex, which is sound because
 * LevelDB admits one opener. Reads are synchronous: a document is a few KB, and a thread-pool
 * round trip costs more than reading it from LevelDB's cache.
 */
export class LevelMeta implements MetadataStore {
  readonly #mutex = new KeyedMutex()
  readonly #boot = randomBytes(6).toString('hex')
  #seq = 0

  constructor(readonly db: ClassicLevel<string, unknown>) {}

  async get(key: string): Promise<StoredDoc | undefined> {
    const entry = await this.#read(key)
    return entry && { key, doc: entry.d, revision: entry.r }
  }

  /** The entry under `key`; E_INTEGRITY naming the key if its value is not a document entry. */
  async #read(key: string): Promise<MetaEntry | undefined> {
    // Documents are a few KB: a synchronous read costs less than a thread-pool round trip.
    const text = this.db.getSync(META + key, { valueEncoding: 'utf8' }) as string | undefined
    if (text === undefined) return undefined
    const entry = parseEntry(text)
    if (typeof entry === 'string') throw errors.unreadableDocument(key, entry)
    return entry
  }

  async put(key: string, doc: JsonObject, options: CasOptions): Promise<string> {
    return await this.#mutex.run(key, async () => {
      const current = await this.#read(key)
      if ((current?.r ?? null) !== options.ifRevision) throw errors.conflict(key)
      const revision = `${this.#boot}.${++this.#seq}`
      await this.db.put(META + key, { r: revision, d: doc } satisfies MetaEntry)
      return revision
    })
  }

  async delete(key: string, options: DeleteDocOptions): Promise<void> {
    await this.#mutex.run(key, async () => {
      const current = await this.#read(key)
      if (!current) throw errors.notFound('document', key)
      if (current.r !== options.ifRevision) throw errors.conflict(key)
      // Under the key's mutex (LevelDB admits one process): no put, create or update of this key runs meanwhile.
      await options.before?.()
      await this.db.del(META + key)
    })
  }

  async update(keys: readonly string[], fn: (current: ReadonlyMap<string, StoredDoc>) => Promise<readonly DocWrite[]> | readonly DocWrite[]): Promise<string[]> {
    const unique = [...new Set(keys)]
    return await this.#mutex.runAll(unique, async () => {
      // Synchronous reads, then one batch: LevelDB applies a batch atomically.
      const texts = unique.map((k) => this.db.getSync(META + k, { valueEncoding: 'utf8' }) as string | undefined)
      const current = new Map<string, StoredDoc>()
      for (const [i, text] of texts.entries()) {
        if (text === undefined) continue
        const key = unique[i]!
        const entry = parseEntry(text)
        if (typeof entry === 'string') throw errors.unreadableDocument(key, entry)
        current.set(key, { key, doc: entry.d, revision: entry.r })
      }
      const writes = await fn(current)
      if (writes.length === 0) return []
      const revisions = writes.map((w) => (w.doc === null ? '' : `${this.#boot}.${++this.#seq}`))
      await this.db.batch(
        writes.map((w, i) => (w.doc === null ? { type: 'del' as const, key: META + w.key } : { type: 'put' as const, key: META + w.key, value: { r: revisions[i]!, d: w.doc } satisfies MetaEntry })),
      )
      return revisions
    })
  }

  async *listKeys(prefix: string, options: ListDocsOptions = {}): AsyncIterable<string> {
    for await (const key of this.db.keys({ gte: META + prefix, lt: upperBound(META + prefix), reverse: options.reverse ?? false, limit: options.limit ?? -1 })) {
      throwIfAborted(options.signal)
      yield key.slice(META.length)
    }
  }

  async *list(prefix: string, options: ListDocsOptions = {}): AsyncIterable<StoredDoc> {
    const range = { gte: META + prefix, lt: upperBound(META + prefix), reverse: options.reverse ?? false, limit: options.limit ?? -1, valueEncoding: 'utf8' }
    for await (const [key, value] of this.db.iterator(range)) {
      throwIfAborted(options.signal)
      const entry = parseEntry(value as string)
      // One bad value must not fail the listing: it is yielded as unreadable (core skips it, fsck reports it).
      if (typeof entry === 'string') yield { key: key.slice(META.length), doc: {}, revision: '', unreadable: entry }
      else yield { key: key.slice(META.length), doc: entry.d, revision: entry.r }
    }
  }
}

/** A stored document entry, or why the stored value is not one. */
function parseEntry(text: string): MetaEntry | string {
  let entry: MetaEntry
  try {
    entry = JSON.parse(text) as MetaEntry
  } catch (err) {
    return `invalid JSON (${text.length} bytes): ${(err as Error).message}`
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.r !== 'string' || typeof entry.d !== 'object' || entry.d === null || Array.isArray(entry.d)) {
    return 'not a document entry (r and d expected)'
  }
  return entry
}
