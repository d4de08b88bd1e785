import type { Metadata } from '../store/metadata.js'
import type { ModelStore } from '../store/model-store.js'
import type { HeadCache } from '../store/store-context.js'

/** Names kept before the cache starts over (a bound for applications that make up names). */
const MAX_NAMES = 1024

/**
 * Which model version a name (`m`, `m@3`, `m@production`, `m^`) addresses, remembered across
 * runtime calls so a hot predict does not parse the name, read the documents and deep-copy the
 * metadata every time. Only where no other process writes (the store's head cache is used there
 * too); any write of this instance (put, tag, drop, promote) moves the head cache's epoch and
 * empties this cache, and an answer that raced a write is not kept.
 */
export class ResolvedModels {
  readonly #entries = new Map<string, Metadata>()
  #epoch = -1

  constructor(
    readonly heads: HeadCache,
    /** False while another process may write the store. */
    readonly cacheable: () => boolean,
  ) {}

  async version(models: ModelStore, nameRef: string): Promise<Metadata> {
    if (!this.cacheable()) return await models.version(nameRef)
    const epoch = this.heads.epoch
    if (epoch !== this.#epoch) {
      this.#entries.clear()
      this.#epoch = epoch
    }
    const key = `${models.bucket}\0${nameRef}`
    const hit = this.#entries.get(key)
    if (hit) return hit
    const meta = deepFreeze(await models.version(nameRef))
    if (this.heads.epoch === epoch && this.#epoch === epoch) {
      if (this.#entries.size >= MAX_NAMES) this.#entries.clear()
      this.#entries.set(key, meta)
    }
    return meta
  }
}

/** Shared between calls, so nobody may change it. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
