import { OmegaError } from '../errors.js'
import type { JsonObject } from '../json.js'
import type { StorageBackend } from '../backend/storage-backend.js'
import { backoff } from './store-context.js'

/**
 * Delta versions. An append's version document lists only its new parts plus a {@link BaseRef} to
 * the version it extends, so a version document costs O(new parts) however long the history.
 * Reading a version follows the chain of bases back to a full document; materialised versions
 * are cached by content (see {@link ChainCache}), so repeated reads and the next append walk no chain.
 *
 * A base must keep its content while any version builds on it, also after it is dropped: a dropped
 * version that is still a base stays as a *retained* tombstone (`dropped: true` with its parts,
 * pins and own base), and becomes a plain tombstone (its own bytes released) once nothing builds
 * on it. Who builds on a version is its **builders record** `<name key>/#builds/@<version>`,
 * `{ holders: { <holder>: <iso time> } }`, with the same compare-and-set discipline as the blob
 * reference records (blob-refs.ts):
 *
 * - **append** on base b: add a holder to b's record, *then* check that b is still live, and only
 *   then publish the new version (whose `base.holder` is that holder). If b was dropped meanwhile,
 *   remove the holder and fail: nothing was published.
 * - **drop** of b: mark b dropped (retained) first, *then* read b's record; strip b only if the
 *   record is empty. Stripping a version removes its holder from its own base's record.
 *
 * So an append that passed its check is seen by every later drop of its base (the holder came
 * first), and an append whose check came after the drop sees the drop and publishes nothing: a
 * version whose bytes are gone is never visible, not even for an instant.
 */

/** Where a delta version's earlier content is. */
export interface BaseRef {
  /** The version this one extends. */
  readonly version: number
  /** The base's sha256 (of its full part list): a re-created name never matches an old chain. */
  readonly sha256: string
  /** This version's holder in the base's builders record. */
  readonly holder: string
}

/** The base a stored version document extends, if it is a delta. */
export function baseOf(doc: JsonObject | object | undefined): BaseRef | undefined {
  const base = (doc as { base?: unknown } | undefined)?.base
  if (!base || typeof base !== 'object' || Array.isArray(base)) return undefined
  const { version, sha256, holder } = base as Record<string, unknown>
  return typeof version === 'number' && typeof sha256 === 'string' && typeof holder === 'string' ? { version, sha256, holder } : undefined
}

/** The key of version `version`'s builders record, next to the name's `#tags` document. */
export function buildersKey(nameKey: string, version: number, digits: number): string {
  return `${nameKey}/#builds/@${String(version).padStart(digits, '0')}`
}

/** The key range of a name's builders records. */
export function buildersPrefix(nameKey: string): string {
  return `${nameKey}/#builds/`
}

function holdersOf(doc: JsonObject | undefined): Record<string, string> {
  const holders = doc?.holders
  return holders && typeof holders === 'object' && !Array.isArray(holders) ? (holders as Record<string, string>) : {}
}

/**
 * Adds `holder` to the record at `key` (creating it) by compare-and-set, or, with `add: false`,
 * removes it (deleting the record when it empties). Returns how many holders remain.
 */
export async function updateBuilders(backend: StorageBackend, key: string, holder: string, add: boolean): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const current = await backend.meta.get(key)
    const holders = { ...holdersOf(current?.doc) }
    if (add) holders[holder] = new Date().toISOString()
    else if (!(holder in holders)) return Object.keys(holders).length
    else delete holders[holder]
    const left = Object.keys(holders).length
    try {
      if (left === 0 && current) await backend.meta.delete(key, { ifRevision: current.revision })
      else await backend.meta.put(key, { holders }, { ifRevision: current?.revision ?? null })
      return left
    } catch (err) {
      if ((!OmegaError.is(err, 'E_CONFLICT') && !OmegaError.is(err, 'E_NOT_FOUND')) || attempt >= 100) throw err
      await backoff(attempt)
    }
  }
}

/** How many holders the record at `key` has (0 if there is none). */
export async function builderCount(backend: StorageBackend, key: string): Promise<number> {
  return Object.keys(holdersOf((await backend.meta.get(key))?.doc)).length
}

/**
 * Materialised versions by document key and sha256. A version's content never changes (a drop
 * only marks it), and the sha256 of its full part list tells it apart from a version with the same
 * number after the name was dropped and written again, so entries are never stale; only their
 * number is bounded.
 */
export class ChainCache<T> {
  readonly #entries = new Map<string, T>()
  constructor(readonly limit = 64) {}

  get(key: string, sha256: string): T | undefined {
    const k = `${key}#${sha256}`
    const hit = this.#entries.get(k)
    if (hit !== undefined) {
      this.#entries.delete(k)
      this.#entries.set(k, hit)
    }
    return hit
  }

  set(key: string, sha256: string, value: T): void {
    const k = `${key}#${sha256}`
    this.#entries.delete(k)
    this.#entries.set(k, value)
    while (this.#entries.size > this.limit) this.#entries.delete(this.#entries.keys().next().value!)
  }
}

const caches = new WeakMap<object, ChainCache<unknown>>()

/** The chain cache of one backend (shared by every store and bucket using it in this process). */
export function chainCache<T>(backend: object): ChainCache<T> {
  let cache = caches.get(backend)
  if (!cache) caches.set(backend, (cache = new ChainCache()))
  return cache as ChainCache<T>
}
