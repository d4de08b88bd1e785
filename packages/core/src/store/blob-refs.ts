import { OmegaError } from '../errors.js'
import type { JsonObject } from '../json.js'
import type { StorageBackend, StoredDoc } from '../backend/storage-backend.js'

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
 * Timing assumption (the same as any lease): a deleter that crashed while `deleting` is taken over
 * after {@link DELETE_LEASE_MS}; a live deleter must not stall that long between its CAS and its
 * byte deletion.
 *
 * Backends whose delete can run a step while excluding every other writer of the key
 * (`supports.exclusiveDelete`: fs's lock file, LevelDB's per-key mutex) release a last holder in
 * one step: `meta.delete(record, { ifRevision, before: delete the bytes })`. Why that is as safe:
 * while the bytes go, the record still exists and still lists exactly the holder being removed;
 * a pin needs a compare-and-set on it (which waits for the exclusion and then fails, the record
 * having changed) or a create (which fails while the record exists). So no pin lands between the
 * check and the deletion, and a pin after it creates a new record, whose `has` sees the bytes gone
 * and writes them again. A crash after the bytes went and before the record did leaves a record
 * naming a holder whose document is already gone (it was unpublished, and on fs synced, before
 * any unpin): the next pin of those bytes adds itself and rewrites them (`has`), and fsck removes
 * the stale holder. No visible document ever refers to deleted bytes.
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

/** Adds `holder` to the blob's record (creating it), waiting out a deletion in progress. */
export async function pin(backend: StorageBackend, sha256: string, holder: string): Promise<void> {
  const key = refKey(sha256)
  for (let attempt = 0; ; attempt++) {
    const current = await backend.meta.get(key)
    const record = current && asRecord(current.doc)
    if (current && record?.deleting !== undefined) {
      if (Date.now() - Date.parse(record.deleting) > DELETE_LEASE_MS) await finishDelete(backend, sha256, current.revision)
      else await pause(attempt)
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
  for (let attempt = 0; ; attempt++) {
    const current = await backend.meta.get(key)
    if (!current) return
    const record = asRecord(current.doc)
    if (record.deleting !== undefined || !(holder in record.holders)) return
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
        await backend.meta.delete(key, { ifRevision: current.revision, before: () => backend.blobs.delete(sha256) })
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

async function finishDelete(backend: StorageBackend, sha256: string, revision: string): Promise<void> {
  await backend.blobs.delete(sha256)
  try {
    await backend.meta.delete(refKey(sha256), { ifRevision: revision })
  } catch (err) {
    if (!OmegaError.is(err, 'E_CONFLICT') && !OmegaError.is(err, 'E_NOT_FOUND')) throw err
  }
}

function pause(attempt: number): Promise<void> {
  const ms = Math.min(100, 1 + Math.random() * 2 ** Math.min(attempt, 7))
  return new Promise((r) => setTimeout(r, ms))
}
