/**
 * A bounded LRU of deserialised models keyed by sha256, so a hot model is not re-parsed on every
 * call. Evicted values are released (see {@link releaseModel}).
 */
export class ModelCache {
  readonly #entries = new Map<string, unknown>()
  /** The most recently used key: a hot model asked again needs no reordering. */
  #newest: string | undefined

  constructor(readonly capacity = 16) {}

  get(sha256: string): unknown {
    const value = this.#entries.get(sha256)
    if (value !== undefined && sha256 !== this.#newest) {
      this.#entries.delete(sha256)
      this.#entries.set(sha256, value)
      this.#newest = sha256
    }
    return value
  }

  set(sha256: string, value: unknown): void {
    this.#entries.delete(sha256)
    this.#entries.set(sha256, value)
    this.#newest = sha256
    while (this.#entries.size > this.capacity) {
      const [oldest, evicted] = this.#entries.entries().next().value as [string, unknown]
      this.#entries.delete(oldest)
      void releaseModel(evicted)
    }
  }

  get size(): number {
    return this.#entries.size
  }

  async clear(): Promise<void> {
    const values = [...this.#entries.values()]
    this.#entries.clear()
    this.#newest = undefined
    await Promise.all(values.map(releaseModel))
  }
}

/**
 * Frees what a live model holds outside the JS heap: `close()` (ONNX sessions, native memory) or
 * else `dispose()` (TensorFlow.js models, their weight tensors). Errors are ignored.
 */
export async function releaseModel(value: unknown): Promise<void> {
  const v = value as { close?: () => unknown; dispose?: () => unknown } | null
  const free = typeof v?.close === 'function' ? v.close : typeof v?.dispose === 'function' ? v.dispose : undefined
  if (free) await Promise.resolve().then(() => free.call(value)).catch(() => undefined)
}
