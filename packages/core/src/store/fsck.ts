import { OmegaError, errors, throwIfAborted } from '../errors.js'
import type { JsonObject } from '../json.js'
import type { BlobRef, ListedBlob, StorageBackend, StoredDoc } from '../backend/storage-backend.js'
import { randomUUID } from 'node:crypto'
import { REF_PREFIX, RecordListing, asRecord, deleteUnrecorded, dropHolders, markRefsComplete, pin, unpin } from './blob-refs.js'
import { pinsOf } from './commit.js'
import { baseOf, updateBuilders } from './version-chain.js'
import { IO_CONCURRENCY, forEachLimit } from './pool.js'

/** Options of `om.fsck()`. */
export interface FsckOptions {
  /** Remove orphan blobs, stale reference records and stale temp files older than `graceMs`. @default false */
  readonly repair?: boolean
  /**
   * Anything younger than this is left alone and not reported: a put in another process may be
   * about to reference it. @default 3_600_000 (one hour)
   */
  readonly graceMs?: number
  readonly signal?: AbortSignal
}

/** What `om.fsck()` can find (SPEC §8). */
export type FsckProblemKind = 'integrity' | 'missing-blob' | 'bad-document' | 'orphan' | 'stale-temp'

/** One finding of `om.fsck()`. */
export interface FsckProblem {
  readonly kind: FsckProblemKind
  /** The object concerned (`name`, or `name@3` for a model version), where there is one. */
  readonly name?: string
  /** The metadata document key, blob address or temp id concerned. */
  readonly key?: string
  /** What is wrong, in words. */
  readonly detail: string
  /** True when `repair` removed it. */
  readonly repaired?: boolean
}

/** The result of `om.fsck()`. */
export interface FsckReport {
  /** Blobs read and verified against their sha256. */
  readonly checked: number
  /** Bytes read while verifying. */
  readonly bytes: number
  readonly problems: FsckProblem[]
  /** How many problems `repair` fixed. */
  readonly repaired: number
}

/** The default grace period of {@link fsck}: one hour. */
export const DEFAULT_GRACE_MS = 60 * 60 * 1000

interface User {
  readonly name: string
  readonly key: string
}

/**
 * Checks a whole store: every blob a document references is read and verified (`integrity`,
 * `missing-blob`), unreadable documents are reported (`bad-document`), and blobs nothing
 * references, reference records of interrupted puts and leftovers of interrupted writes older
 * than the grace period are reported (`orphan`, `stale-temp`) and, with `repair`, removed through
 * the same reference-record protocol drops use, so a put running meanwhile is never harmed.
 * Integrity failures, missing blobs and bad documents are reported, never "repaired": they need
 * a backup or a new put.
 */
export async function fsck(backend: StorageBackend, options: FsckOptions = {}): Promise<FsckReport & { readonly refsComplete: boolean }> {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
    throw errors.invalidArgument(`fsck graceMs must be a number of milliseconds ≥ 0 (got ${String(graceMs)})`)
  }
  const { signal } = options
  throwIfAborted(signal)
  const repair = options.repair === true
  const cutoff = Date.now() - graceMs
  const problems: FsckProblem[] = []
  let repaired = 0
  const fix = async (problem: FsckProblem, action: () => Promise<boolean | void>): Promise<void> => {
    if (repair) {
      try {
        if ((await action()) !== false) {
          repaired++
          problems.push({ ...problem, repaired: true })
          return
        }
      } catch (err) {
        problems.push({ ...problem, detail: `${problem.detail}; repair failed: ${(err as Error).message}` })
        return
      }
    }
    problems.push(problem)
  }

  // 1. Documents: who uses which blob, and the reference records.
  const users = new Map<string, User[]>()
  const held = new Set<string>()
  const refs = new RecordListing()
  const legacy: StoredDoc[] = []
  const chains = new VersionChains()
  for await (const entry of backend.meta.list('', { signal, includeUnreadable: true })) {
    if (entry.unreadable !== undefined) {
      problems.push({
        kind: 'bad-document',
        name: nameOfKey(entry.key),
        key: entry.key,
        detail: `${entry.unreadable}; restore it or drop the object (no orphan is collected while a document is unreadable)`,
      })
      continue
    }
    if (entry.key.startsWith(REF_PREFIX)) {
      refs.add(entry)
      continue
    }
    if (chains.add(entry)) continue
    const parts = entry.doc.parts
    if (!parts || typeof parts !== 'object' || Array.isArray(parts)) continue
    if (entry.doc.pins === undefined && Object.keys(parts).length > 0) legacy.push(entry)
    const user = { name: displayName(entry.doc, entry.key), key: entry.key }
    for (const ref of Object.values(parts as unknown as Record<string, BlobRef>)) {
      const list = users.get(ref.sha256) ?? []
      list.push(user)
      users.set(ref.sha256, list)
    }
    for (const [sha, holder] of Object.entries(pinsOf(entry.doc as JsonObject))) held.add(`${sha} ${holder}`)
  }

  const records = refs.records()
  // An unreadable document may reference any blob: while there is one, nothing is collected.
  const collect = !problems.some((p) => p.kind === 'bad-document')

  // 2. Blobs: verify what is used; collect what is not.
  const blobs = new Map<string, ListedBlob>()
  for await (const blob of backend.blobs.list({ signal })) blobs.set(blob.sha256, blob)
  for (const [sha, list] of users) {
    if (blobs.has(sha)) continue
    for (const u of list) problems.push({ kind: 'missing-blob', name: u.name, key: u.key, detail: `blob ${sha} is missing from the store` })
  }
  let checked = 0
  let bytes = 0
  await forEachLimit([...blobs.values()], IO_CONCURRENCY, async (blob) => {
    throwIfAborted(signal)
    const list = users.get(blob.sha256)
    if (list) {
      try {
        for await (const chunk of backend.blobs.read(blob.sha256, { signal, size: blob.size } as { signal?: AbortSignal })) bytes += chunk.byteLength
        checked++
      } catch (err) {
        if (OmegaError.is(err, 'E_NOT_FOUND')) return // dropped meanwhile
        if (!OmegaError.is(err, 'E_INTEGRITY')) throw err
        checked++
        for (const u of list) problems.push({ kind: 'integrity', name: u.name, key: u.key, detail: `blob ${blob.sha256}: ${err.message}` })
      }
      return
    }
    if (!collect) return
    if (blob.modifiedAt !== undefined && blob.modifiedAt > cutoff) return // a put may be about to reference it
    const record = records.get(blob.sha256)
    if (record && !isStale(record, cutoff)) return // a put in progress holds it
    const problem: FsckProblem = { kind: 'orphan', key: blob.sha256, detail: `blob ${blob.sha256} (${blob.size} bytes) is referenced by no document` }
    await fix(problem, () => (record ? dropHolders(backend, blob.sha256, record, Object.keys(asRecord(record.doc).holders)) : deleteUnrecorded(backend, blob.sha256)))
  })

  // 3. Reference records that no document explains: interrupted puts, crashed deletions.
  for (const [sha, record] of collect ? records : []) {
    throwIfAborted(signal)
    const rec = asRecord(record.doc)
    const stale = Object.entries(rec.holders).filter(([h, at]) => !held.has(`${sha} ${h}`) && Date.parse(at) <= cutoff).map(([h]) => h)
    if (blobs.has(sha) && !users.has(sha)) continue // handled with the blob above
    if (users.has(sha)) {
      // Keep at least one holder of a blob that documents use (documents written before pins existed have none).
      if (stale.length === 0 || stale.length === Object.keys(rec.holders).length) continue
      await fix({ kind: 'orphan', key: record.key, detail: `${stale.length} reference(s) to blob ${sha} left by interrupted puts` }, () => dropHolders(backend, sha, record, stale))
      continue
    }
    if (!isStale(record, cutoff)) continue
    await fix({ kind: 'orphan', key: record.key, detail: `reference record of blob ${sha}, which no document uses and which is not stored` }, () =>
      dropHolders(backend, sha, record, Object.keys(rec.holders)),
    )
  }

  // 3b. Delta versions: every base they extend must keep its content; holders of appends that
  // never published, and dropped versions kept for versions that are gone, are orphans.
  for (const problem of chains.broken()) problems.push(problem)
  if (collect) {
    for (const [record, holders] of chains.staleHolders(cutoff)) {
      await fix({ kind: 'orphan', key: record, detail: `${holders.length} holder(s) of an append that never published` }, async () => {
        for (const h of holders) await updateBuilders(backend, record, h, false)
      })
    }
    for (const entry of chains.unneeded(cutoff)) {
      await fix({ kind: 'orphan', name: displayName(entry.doc, entry.key), key: entry.key, detail: 'a dropped version kept for versions that build on it, none of which is left' }, () =>
        stripRetained(backend, entry, users),
      )
    }
  }

  // 4. Leftovers of interrupted writes.
  const scratch = backend.scratch
  if (scratch) {
    for await (const entry of scratch.list({ signal })) {
      if (entry.modifiedAt > cutoff) continue
      await fix({ kind: 'stale-temp', key: entry.id, detail: entry.detail ?? `${entry.size} bytes left by an interrupted write` }, () => scratch.delete(entry.id))
    }
  }
  // 5. Documents written before reference records existed: pin their blobs, as a put would.
  let unadopted = legacy.length
  if (repair && collect) {
    for (const entry of legacy) if (await adopt(backend, entry)) unadopted--
  }
  const refsComplete = collect && unadopted === 0
  if (repair && refsComplete) await markRefsComplete(backend)
  return { checked, bytes, problems, repaired, refsComplete }
}

/** Pins the blobs of a document that has no `pins` and records them in it (CAS); false if it changed meanwhile. */
async function adopt(backend: StorageBackend, entry: StoredDoc): Promise<boolean> {
  const holder = randomUUID()
  const shas = [...new Set(Object.values(entry.doc.parts as unknown as Record<string, BlobRef>).map((r) => r.sha256))]
  for (const sha of shas) await pin(backend, sha, holder)
  try {
    await backend.meta.put(entry.key, { ...entry.doc, pins: Object.fromEntries(shas.map((sha) => [sha, holder])) }, { ifRevision: entry.revision })
    return true
  } catch (err) {
    for (const sha of shas) await unpin(backend, sha, holder, true).catch(() => undefined)
    if (OmegaError.is(err, 'E_CONFLICT') || OmegaError.is(err, 'E_NOT_FOUND')) return false
    throw err
  }
}

/** True if every holder of the record (and a deletion in progress) is older than `cutoff`. */
function isStale(record: StoredDoc, cutoff: number): boolean {
  const rec = asRecord(record.doc)
  if (rec.deleting !== undefined) return Date.parse(rec.deleting) <= cutoff
  return Object.values(rec.holders).every((at) => Date.parse(at) <= cutoff)
}

function displayName(doc: JsonObject, key: string): string {
  const name = typeof doc.name === 'string' ? doc.name : nameOfKey(key)
  return typeof doc.version === 'number' ? `${name}@${doc.version}` : name
}

/** `bucket/prefix/name[/@0000000003]` → `name[@3]`. */
function nameOfKey(key: string): string {
  const parts = key.split('/')
  const rest = parts.slice(2)
  const last = rest.at(-1)
  if (last?.startsWith('@') && rest.length > 1) return `${rest.slice(0, -1).join('/')}@${Number(last.slice(1))}`
  return rest.join('/') || key
}

const VERSION_MARK = '/@'
const BUILDERS_MARK = '/#builds/@'

/** The version documents of delta chains and the builders records, as fsck lists them. */
class VersionChains {
  /** Content documents (live or retained) by `<name key>@<version>`. */
  readonly #content = new Map<string, StoredDoc>()
  readonly #records = new Map<string, StoredDoc>()

  /** Takes a builders record (true: not a document that uses blobs) or notes a version document. */
  add(entry: StoredDoc): boolean {
    const b = entry.key.lastIndexOf(BUILDERS_MARK)
    if (b >= 0) {
      this.#records.set(entry.key, entry)
      return true
    }
    if (typeof entry.doc.kind === 'string' && entry.doc.parts && typeof entry.doc.parts === 'object') {
      const at = entry.key.lastIndexOf(VERSION_MARK)
      if (at >= 0) this.#content.set(`${entry.key.slice(0, at)}@${Number(entry.key.slice(at + 2))}`, entry)
      else if (entry.doc.version === undefined) this.#content.set(`${entry.key}@1#legacy`, entry)
    }
    return false
  }

  #base(nameKey: string, version: number): StoredDoc | undefined {
    return this.#content.get(`${nameKey}@${version}`) ?? (version === 1 ? this.#content.get(`${nameKey}@1#legacy`) : undefined)
  }

  *#deltas(): Iterable<{ nameKey: string; entry: StoredDoc; base: NonNullable<ReturnType<typeof baseOf>> }> {
    for (const [id, entry] of this.#content) {
      const base = baseOf(entry.doc)
      if (base) yield { nameKey: id.slice(0, id.lastIndexOf('@')), entry, base }
    }
  }

  /** Delta versions whose base has no content any more (or is another version now). */
  *broken(): Iterable<FsckProblem> {
    for (const { nameKey, entry, base } of this.#deltas()) {
      const doc = this.#base(nameKey, base.version)
      if (doc && doc.doc.sha256 === base.sha256) continue
      yield { kind: 'missing-blob', name: displayName(entry.doc, entry.key), key: entry.key, detail: `it extends version ${base.version}, whose parts list is ${doc ? 'another version now' : 'gone'}` }
    }
  }

  /** Holders older than `cutoff` that no version document names as its base holder. */
  staleHolders(cutoff: number): Map<string, string[]> {
    const valid = new Set([...this.#deltas()].map((d) => d.base.holder))
    const out = new Map<string, string[]>()
    for (const [key, record] of this.#records) {
      const stale = Object.entries(asRecord(record.doc).holders).filter(([h, at]) => !valid.has(h) && Date.parse(at) <= cutoff).map(([h]) => h)
      if (stale.length > 0) out.set(key, stale)
    }
    return out
  }

  /** Dropped versions kept as bases that no live version needs and no recent append holds, newest first. */
  unneeded(cutoff: number): StoredDoc[] {
    const needed = new Set<StoredDoc>()
    const mark = (nameKey: string, entry: StoredDoc | undefined): void => {
      while (entry && !needed.has(entry)) {
        needed.add(entry)
        const base = baseOf(entry.doc)
        entry = base && this.#base(nameKey, base.version)
      }
    }
    for (const [id, entry] of this.#content) {
      const nameKey = id.slice(0, id.lastIndexOf('@'))
      if (entry.doc.dropped !== true) mark(nameKey, entry)
      else {
        // A holder younger than the grace period may be an append about to publish on it.
        const record = this.#records.get(`${nameKey}${BUILDERS_MARK}${entry.key.slice(entry.key.lastIndexOf(VERSION_MARK) + 2)}`)
        if (record && Object.values(asRecord(record.doc).holders).some((at) => Date.parse(at) > cutoff)) mark(nameKey, entry)
      }
    }
    return [...this.#content.values()].filter((e) => !needed.has(e) && e.doc.dropped === true).reverse()
  }
}

/**
 * Makes a retained version a plain tombstone (CAS), releases its holder on its base and unpins
 * the blobs no other document uses. False if it changed meanwhile.
 */
async function stripRetained(backend: StorageBackend, entry: StoredDoc, users: ReadonlyMap<string, readonly User[]>): Promise<boolean> {
  try {
    await backend.meta.put(entry.key, { dropped: true, version: entry.doc.version ?? 1, droppedAt: (entry.doc.droppedAt as string | undefined) ?? new Date().toISOString() }, { ifRevision: entry.revision })
  } catch (err) {
    if (OmegaError.is(err, 'E_CONFLICT') || OmegaError.is(err, 'E_NOT_FOUND')) return false
    throw err
  }
  const base = baseOf(entry.doc)
  if (base) {
    const nameKey = entry.key.slice(0, entry.key.lastIndexOf(VERSION_MARK))
    await updateBuilders(backend, `${nameKey}${BUILDERS_MARK}${String(base.version).padStart(10, '0')}`, base.holder, false)
  }
  for (const [sha, holder] of Object.entries(pinsOf(entry.doc))) {
    if ((users.get(sha) ?? []).every((u) => u.key === entry.key)) await unpin(backend, sha, holder)
  }
  return true
}
