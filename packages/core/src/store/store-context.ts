import type { CheckedBackend } from '../backend/checked-backend.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'

/** What every store of one Omega instance shares. Buckets share all of it but the bucket name. */
export interface StoreContext {
  readonly backend: CheckedBackend
  readonly handlers: HandlerRegistry
  readonly bucket: string
  /**
   * False while documents written before reference records existed may still use blobs: then a
   * drop leaves bytes whose last holder goes to `om.fsck({ repair: true })`, which adopts such
   * documents and lifts this.
   */
  readonly refsComplete: boolean
  /** Latest-version lookups of this instance (used only where no other process can write). */
  readonly heads: HeadCache
}

/**
 * Caches "which version is latest" per model key for single-process backends, and where lookups
 * of any backend start. A generation per key
 * makes it race-free: a lookup stores its answer only if no write invalidated the key meanwhile.
 */
export class HeadCache {
  readonly #values = new Map<string, unknown>()
  readonly #generations = new Map<string, number>()
  readonly #newest = new Map<string, { newest: number; hint?: number }>()
  #epoch = 0

  /**
   * The newest version number this instance last saw for a model key, on any backend: only where
   * a lookup starts reading (it reads forward from there, as from a head hint), never trusted.
   */
  newest(key: string): { readonly newest: number; readonly hint?: number } | undefined {
    return this.#newest.get(key)
  }

  /** Notes the newest version seen, and the head hint last read or written (kept if not given). */
  noteNewest(key: string, newest: number, hint?: number): void {
    if (this.#newest.size >= 65_536) this.#newest.clear()
    const known = hint ?? this.#newest.get(key)?.hint
    this.#newest.set(key, known === undefined ? { newest } : { newest, hint: known })
  }

  /** Moves on every invalidation of any key: caches built on name resolution compare it. */
  get epoch(): number {
    return this.#epoch
  }

  generation(key: string): number {
    return this.#generations.get(key) ?? 0
  }

  get(key: string): unknown {
    return this.#values.get(key)
  }

  set(key: string, generation: number, value: unknown): void {
    if (this.generation(key) === generation) this.#values.set(key, value)
  }

  invalidate(key: string): void {
    this.#epoch++
    this.#generations.set(key, this.generation(key) + 1)
    this.#values.delete(key)
  }
}

/** Key of a plain object's document: `bucket/prefix/name`. */
export function objectKey(bucket: string, prefix: string, name: string): string {
  return `${bucket}/${prefix}${name}`
}

/** How many times a put retries after losing a compare-and-set race before giving up. */
export const CAS_RETRIES = 100

/** A short random pause that spreads out writers who lost a compare-and-set race. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.min(50, 1 + Math.random() * 2 ** Math.min(attempt, 6))
  return new Promise((r) => setTimeout(r, ms))
}
