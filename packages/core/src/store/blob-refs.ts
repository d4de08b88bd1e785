import { OmegaError } from '../errors.js'
import type { JsonObject } from '../json.js'
import type { DocWrite, StorageBackend, StoredDoc } from '../backend/storage-backend.js'

/**
 * Reference records: which commits hold each blob, so that a drop can delete bytes nothing uses
 * any more without scanning other objects, correctly across processes, on any backend that
 * offers compare-and-set on one document (fs, LevelDB, S3, memory).
 *
 * One record per blob, `#blobs/<2 hex>/<sha256>` (no bucket can be named `#…`):
 * `{ holders: { <commit id>: <iso time> } }`, or `{ holders: {}, deleting: <iso time> }` while
 * its bytes are being deleted. A commit id is a random id per put; the published document lists
 * its blobs' holders in `pins: { <sha256>: <commit id> }`.
 *
 * Protocol:
 * - **put**: write the bytes, then {@link pin} (CAS: add the commit to `holders`; never onto a
 *   `deleting` record), then check that the bytes exist (`has`); if they are gone, write them again.
 *   Only then publish the document that references them.
 * - **drop / replace**: after the document is unpublished, {@link unpin}: one CAS removes the
 *   holder and, if it was the last one, marks the record `deleting` in the same write; then the
 *   bytes are deleted, then the record (CAS on the `deleting` revision).
 * - **fsck repair**: an unreferenced blob without a record gets one created (CAS "only if absent")
 *   in state `deleting`, then the same two steps.
 *
 * Why no put can lose its bytes: bytes are deleted only by a deleter that holds the record in
 * state `deleting`, entered by CAS from a state with no holder. A put trusts bytes only after its
 * pin succeeded on a record that was not `deleting` (or created it) *and* `has` saw the bytes
 * afterwards. Take a deleter that entered `deleting` at t_m and a put that pinned at t_p:
 * - t_m > t_p: impossible while the put's holder is there (the record was not empty), so the
 *   deletion is after the put's document was unpublished again;
 * - t_m < t_p: the pin cannot succeed on a `deleting` record, so it came after the deleter
 *   removed the record, which it does only after deleting the bytes. The put's `has` after the pin
 *   therefore sees bytes written after that deletion (its own rewrite or another put's), and no
 *   deleter can remove them until the put's holder is gone.
 * The interleaving that broke the old design (put finds the bytes present and skips writing;
 * a drop in another process deletes them; the put publishes) now ends with the put's `has` seeing
 * the bytes missing and writing them again before it publishes.
 *
 * Backends with `meta.update` (LevelDB) keep each holder as a document of its own,
 * `#blobs/<2 hex>/<sha256>/<commit id>` (`{ at: <iso time> }`), written in the same atomic update
 * that checks the record, so pinning bytes that 1,000 versions already hold costs what pinning
 * new bytes does. Holder documents count only while their record exists (it stays `{ holders: {} }`
 * while holders exist); the record's own `holders` are still read (records written before, or by
 * hand). The protocol is the same: an update holds the record, so "no holder left" and the mark
 * `deleting` are one atomic step.
 *
 * Timing assumption (the same as any lease): a deleter that crashed while `deleting` is taken over
 * after {@link DELETE_LEASE_MS}; a live deleter must not stall that long between its CAS and its
 * byte deletion.
 *
 * Backends whose delete can run a step while excluding every other writer of the key
 * (`supports.exclusiveDelete`: fs's lock file, LevelDB's per-key mutex) and have no `meta.update`
 * (fs; LevelDB releases holders through `update`, see `releaseHolders`) release a last holder in
 * one step: `meta.delete(record, { ifRevision, before: delete the bytes })`. Why that is as safe:
 * while the bytes go, the record still exists and still lists exactly the holder being removed;
 * a pin needs a compare-and-set on it (which waits for the exclusion and then fails, the record
 * having changed) or a create (which fails while the record exists). So no pin lands between the
 * check and the deletion, and a pin after it creates a new record, whose `has` sees the bytes gone
 * and writes them again. A crash after the bytes went and before the record did leaves a record
 * naming a holder whose document is already gone (it was unpublished, and on fs synced, before
 * any unpin): the next pin of those bytes adds itself and rewrites them (`has`), and fsck removes
 * the stale holder. No visible document ever refers to deleted bytes. The same holds when a power
 * failure brings the record back after the process went on, so that deletion is not made durable
 * (`durable: false`: on fs, no directory fsync); bytes a lost deletion left are fsck's to collect.
 */
export const REF_PREFIX = '#blobs/'

/**
 * Written once a store is known to have a reference record for every blob a document uses: a new
 * store at first open, or a store written before reference records existed after
 * `om.fsck({ repair: true })` adopted its documents. Without it, releasing the last holder of a
 * blob removes the record but leaves the bytes to fsck, since an older document may still use them.
 */
export const FORMAT_KEY = '#format'

/**
 * True if every document of the store holds its blobs in reference records (so a drop may delete
 * bytes whose last holder goes). Marks an empty store as such.
 */
export async function refsComplete(backend: StorageBackend): Promise<boolean> {
  if (await backend.meta.get(FORMAT_KEY)) return true
  for await (const _ of backend.meta.list('', { limit: 1, includeUnreadable: true })) return false
  await markRefsComplete(backend)
  return true
}

/** Writes {@link FORMAT_KEY} (idempotent). */
export async function markRefsComplete(backend: StorageBackend): Promise<void> {
  try {
    await backend.meta.put(FORMAT_KEY, { refs: 1 }, { ifRevision: null })
  } catch (err) {
    if (!OmegaError.is(err, 'E_CONFLICT')) throw err
  }
}

/** A `deleting` record older than this was left by a crashed deleter and is finished by whoever meets it. */
export const DELETE_LEASE_MS = 30_000

/** The key of a blob's reference record. */
export function refKey(sha256: string): string {
  return `${REF_PREFIX}${sha256.slice(0, 2)}/${sha256}`
}

/** The shape of a reference record. */
export interface RefRecord {
  holders: Record<string, string>
  deleting?: string
}

export function asRecord(doc: JsonObject): RefRecord {
  const holders = doc.holders
  return {
    holders: holders && typeof holders === 'object' && !Array.isArray(holders) ? (holders as Record<string, string>) : {},
    ...(typeof doc.deleting === 'string' && { deleting: doc.deleting }),
  }
}

/** The key of a holder document (backends with `meta.update`). */
export function holderKey(sha256: string, holder: string): string {
  return `${refKey(sha256)}/${holder}`
}

/**
 * The writes that add `holder` to the blob's record as read under `meta.update` (`record`
 * undefined: absent), or undefined while the record is `deleting`. A new record clears holder
 * documents a removed one left (they count only while their record exists).
 */
export async function pinWrites(backend: StorageBackend, sha256: string, holder: string, record: StoredDoc | undefined): Promise<DocWrite[] | undefined> {
  if (record && asRecord(record.doc).deleting !== undefined) return undefined
  const writes: DocWrite[] = []
  if (!record) {
    for await (const key of holderDocs(backend, sha256)) writes.push({ key, doc: null })
    writes.push({ key: refKey(sha256), doc: { holders: {} } })
  }
  writes.push({ key: holderKey(sha256, holder), doc: { at: new Date().toISOString() } })
  return writes
}

/** Waits for a deletion in progress (the record `deleting`) to end, finishing it once its lease ran out. */
export async function awaitDeletion(backend: StorageBackend, sha256: string, record: StoredDoc, attempt: number): Promise<void> {
  const deleting = asRecord(record.doc).deleting
  if (deleting !== undefined && Date.now() - Date.parse(deleting) > DELETE_LEASE_MS) await finishDelete(backend, sha256, record.revision)
  else await pause(attempt)
}

/** Keys of the blob's holder documents, at most `limit`. */
async function* holderDocs(backend: StorageBackend, sha256: string, limit?: number): AsyncIterable<string> {
  const prefix = `${refKey(sha256)}/`
  const options = limit === undefined ? {} : { limit }
  if (backend.meta.listKeys) yield* backend.meta.listKeys(prefix, options)
  else for await (const entry of backend.meta.list(prefix, { ...options, includeUnreadable: true })) yield entry.key
}

/** True if the blob has a holder document besides those in `except`. */
async function otherHolderDoc(backend: StorageBackend, sha256: string, except: ReadonlySet<string>): Promise<boolean> {
  for await (const key of holderDocs(backend, sha256, except.size + 1)) if (!except.has(key)) return true
  return false
}

/** Adds `holder` to the blob's record (creating it), waiting out a deletion in progress. */
export async function pin(backend: StorageBackend, sha256: string, holder: string): Promise<void> {
  const key = refKey(sha256)
  const update = backend.meta.update
  for (let attempt = 0; ; attempt++) {
    if (update) {
      const state: { blocked?: StoredDoc } = {}
      await update([key], async (current) => {
        const writes = await pinWrites(backend, sha256, holder, current.get(key))
        if (writes) return writes
        state.blocked = current.get(key)
        return []
      })
      if (!state.blocked) return
      await awaitDeletion(backend, sha256, state.blocked, attempt)
      continue
    }
    const current = await backend.meta.get(key)
    const record = current && asRecord(current.doc)
    if (current && record?.deleting !== undefined) {
      await awaitDeletion(backend, sha256, current, attempt)
      continue
    }
    const holders = { ...(record?.holders ?? {}), [holder]: new Date().toISOString() }
    try {
      await backend.meta.put(key, { holders }, { ifRevision: current?.revision ?? null })
      return
    } catch (err) {
      if (!OmegaError.is(err, 'E_CONFLICT')) throw err
      await pause(attempt)
    }
  }
}

/**
 * Removes `holder` from the blob's record; if it was the last holder, deletes the bytes and the
 * record (with `keepBytes`, only the record: fsck collects the bytes once no document uses them).
 * A holder that is not there is not an error (idempotent).
 */
export async function unpin(backend: StorageBackend, sha256: string, holder: string, keepBytes = false): Promise<void> {
  const key = refKey(sha256)
  if (backend.meta.update) return await releaseHolders(backend, sha256, [holder], keepBytes, false)
  for (let attempt = 0; ; attempt++) {
    const current = await backend.meta.get(key)
    if (!current) return
    const record = asRecord(current.doc)
    if (record.deleting !== undefined || !Object.hasOwn(record.holders, holder)) return
    const holders = { ...record.holders }
    delete holders[holder]
    const last = Object.keys(holders).length === 0
    try {
      if (last && keepBytes) {
        await backend.meta.delete(key, { ifRevision: current.revision })
        return
      }
      if (last && backend.supports.exclusiveDelete === true) {
        // One step instead of mark-deleting, delete, remove: the bytes go while the backend holds
        // the record's write exclusion with this holder the last one (see the note above).
        await backend.meta.delete(key, { ifRevision: current.revision, before: () => backend.blobs.delete(sha256), durable: false })
        return
      }
      const revision = await backend.meta.put(key, last ? { holders, deleting: new Date().toISOString() } : { holders }, { ifRevision: current.revision })
      if (last) await finishDelete(backend, sha256, revision)
      return
    } catch (err) {
      if (!OmegaError.is(err, 'E_CONFLICT') && !OmegaError.is(err, 'E_NOT_FOUND')) throw err
      await pause(attempt)
    }
  }
}

/**
 * Deletes an unreferenced blob that has no record (fsck repair): creates its record in state
 * `deleting` (only if absent), deletes the bytes, then the record. False if a record appeared.
 */
export async function deleteUnrecorded(backend: StorageBackend, sha256: string): Promise<boolean> {
  let revision: string
  try {
    revision = await backend.meta.put(refKey(sha256), { holders: {}, deleting: new Date().toISOString() }, { ifRevision: null })
  } catch (err) {
    if (OmegaError.is(err, 'E_CONFLICT')) return false
    throw err
  }
  await finishDelete(backend, sha256, revision)
  return true
}

/**
 * Removes the holders of a record that `stale` names (fsck repair of interrupted puts), with the
 * usual deletion if none is left. `current` is the record as fsck read it; a change since is left alone.
 */
export async function dropHolders(backend: StorageBackend, sha256: string, current: StoredDoc, stale: readonly string[]): Promise<boolean> {
  if (backend.meta.update) {
    await releaseHolders(backend, sha256, stale, false, true)
    return true
  }
  const record = asRecord(current.doc)
  if (record.deleting !== undefined) {
    await finishDelete(backend, sha256, current.revision)
    return true
  }
  const holders = { ...record.holders }
  for (const h of stale) delete holders[h]
  const last = Object.keys(holders).length === 0
  let revision: string
  try {
    revision = await backend.meta.put(current.key, last ? { holders, deleting: new Date().toISOString() } : { holders }, { ifRevision: current.revision })
  } catch (err) {
    if (OmegaError.is(err, 'E_CONFLICT')) return false
    throw err
  }
  if (last) await finishDelete(backend, sha256, revision)
  return true
}

/**
 * {@link unpin} and {@link dropHolders} where holders are documents (`meta.update`): in one
 * update holding the record, removes the holders (documents and the record's own) and, if none is
 * left, marks the record `deleting` (or, with `keepBytes`, deletes it); then the bytes go. A
 * record found `deleting` is finished only with `finishDeleting` (fsck, which meets only deletions
 * older than its grace period): a live deleter may still be about to delete the bytes.
 */
async function releaseHolders(backend: StorageBackend, sha256: string, holders: readonly string[], keepBytes: boolean, finishDeleting: boolean): Promise<void> {
  const key = refKey(sha256)
  const own = new Set(holders.map((h) => holderKey(sha256, h)))
  const state: { finish?: number; revision?: string } = {}
  const revisions = await backend.meta.update!([key, ...own], async (current) => {
    const writes: DocWrite[] = [...own].filter((k) => current.has(k)).map((k) => ({ key: k, doc: null }))
    const stored = current.get(key)
    if (!stored) return writes
    const record = asRecord(stored.doc)
    if (record.deleting !== undefined) {
      if (finishDeleting) state.revision = stored.revision
      return []
    }
    const left = { ...record.holders }
    for (const h of holders) delete left[h]
    const changed = Object.keys(left).length !== Object.keys(record.holders).length
    if (writes.length === 0 && !changed) return []
    if (Object.keys(left).length > 0 || (await otherHolderDoc(backend, sha256, own))) return changed ? [...writes, { key, doc: { holders: left } }] : writes
    if (keepBytes) return [...writes, { key, doc: null }]
    state.finish = writes.length
    return [...writes, { key, doc: { holders: left, deleting: new Date().toISOString() } }]
  })
  const revision = state.finish !== undefined ? revisions[state.finish] : state.revision
  if (revision !== undefined) await finishDelete(backend, sha256, revision)
}

/**
 * Every blob's reference record as fsck sees it, from a listing of {@link REF_PREFIX}: holder
 * documents folded into their record's `holders` (a record missing while holder documents remain
 * is reported with revision `''`).
 */
export class RecordListing {
  readonly #records = new Map<string, StoredDoc>()
  readonly #holders = new Map<string, Record<string, string>>()

  /** Takes one listed entry under {@link REF_PREFIX}. */
  add(entry: StoredDoc): void {
    const rest = entry.key.slice(REF_PREFIX.length).split('/')
    const sha = rest[1]
    if (sha === undefined) return
    if (rest.length === 2) {
      this.#records.set(sha, entry)
    } else if (rest.length === 3) {
      const at = entry.doc.at
      const list = this.#holders.get(sha) ?? {}
      list[rest[2]!] = typeof at === 'string' ? at : new Date(0).toISOString()
      this.#holders.set(sha, list)
    }
  }

  /** sha256 → its record, with every holder in `holders`. */
  records(): Map<string, StoredDoc> {
    const out = new Map(this.#records)
    for (const [sha, docs] of this.#holders) {
      const stored = out.get(sha)
      const record = stored ? asRecord(stored.doc) : { holders: {} }
      out.set(sha, { key: refKey(sha), revision: stored?.revision ?? '', doc: { ...(stored?.doc ?? {}), holders: { ...record.holders, ...docs } } })
    }
    return out
  }
}

async function finishDelete(backend: StorageBackend, sha256: string, revision: string): Promise<void> {
  await backend.blobs.delete(sha256)
  try {
    // Not durable: a record that comes back after a power failure is still `deleting`, and
    // whoever meets it finishes the deletion once its lease ran out.
    await backend.meta.delete(refKey(sha256), { ifRevision: revision, durable: false })
  } catch (err) {
    if (!OmegaError.is(err, 'E_CONFLICT') && !OmegaError.is(err, 'E_NOT_FOUND')) throw err
  }
}

function pause(attempt: number): Promise<void> {
  const ms = Math.min(100, 1 + Math.random() * 2 ** Math.min(attempt, 7))
  return new Promise((r) => setTimeout(r, ms))
}
