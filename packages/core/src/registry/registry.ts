import { OmegaError } from '../errors.js'

/** Priority of built-in registrations; plugin registrations default to {@link PLUGIN_PRIORITY}. */
export const BUILTIN_PRIORITY = 0
/** Default priority of registrations made by plugins and by the application: they win over built-ins. */
export const PLUGIN_PRIORITY = 100

interface Entry<V> {
  readonly key: string
  readonly value: V
  readonly priority: number
  readonly seq: number
}

/**
 * A keyed, prioritised registry, one per Omega instance (never a module global, so two instances
 * with different plugins do not interfere). Higher priority wins; equal priorities keep
 * registration order. Re-registering the same value is a no-op; the same key at the same priority
 * with a different value throws E_CONFLICT, so two plugins cannot silently shadow each other.
 */
export class Registry<V> {
  readonly #entries: Entry<V>[] = []
  #seq = 0

  constructor(readonly what: string) {}

  register(key: string, value: V, priority: number = PLUGIN_PRIORITY): void {
    const same = this.#entries.filter((e) => e.key === key)
    if (same.some((e) => e.value === value)) return
    if (same.some((e) => e.priority === priority)) {
      throw new OmegaError('E_CONFLICT', `${this.what} "${key}" is already registered at priority ${priority}; register with another priority to override it`, {
        details: { key, priority },
        transient: false,
      })
    }
    this.#entries.push({ key, value, priority, seq: this.#seq++ })
    this.#entries.sort((a, b) => b.priority - a.priority || a.seq - b.seq)
  }

  /** The highest-priority value under `key`, or undefined. */
  find(key: string): V | undefined {
    return this.#entries.find((e) => e.key === key)?.value
  }

  /** Like {@link find}, but throws E_UNSUPPORTED naming every registered key. */
  get(key: string): V {
    const value = this.find(key)
    if (value === undefined) {
      throw new OmegaError('E_UNSUPPORTED', `no ${this.what} "${key}" is registered (registered: ${this.keys().join(', ') || 'none'})`, {
        details: { key, registered: this.keys() },
      })
    }
    return value
  }

  /** Distinct keys, in priority order. */
  keys(): string[] {
    return [...new Set(this.#entries.map((e) => e.key))]
  }

  /** Every value, highest priority first (one per key: the winning one). */
  values(): V[] {
    const seen = new Set<string>()
    const out: V[] = []
    for (const e of this.#entries) {
      if (seen.has(e.key)) continue
      seen.add(e.key)
      out.push(e.value)
    }
    return out
  }
}
