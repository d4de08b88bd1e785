/**
 * A bounded LRU of deserialised models keyed by sha256, so a hot model is not re-parsed on every
 * call. Evicted values get `close()` if they have one (ONNX sessions hold native memory).
 */
export class ModelCache {
  readonly #entries = new Map<string, unknown>()

  constructor(readonly capacity = 16) {}

  get(sha256: string): unknown {
    const value = this.#entries.get(sha256)
    if (value !== undefined) {
      this.#entries.delete(sha256)
      this.#entries.set(sha256, value)
    }
    return value
  }

  set(sha256: string, value: unknown): void {
    this.#entries.delete(sha256)
    this.#entries.set(sha256, value)
    while (this.#entries.size > this.capacity) {
      const [oldest, evicted] = this.#entries.entries().next().value as [string, unknown]
      this.#entries.delete(oldest)
      void release(evicted)
    }
  }

  get size(): number {
    return this.#entries.size
  }

  async clear(): Promise<void> {
    const values = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(values.map(release))
  }
}

async function release(value: unknown): Promise<void> {
  const close = (value as { close?: () => unknown } | null)?.close
  if (typeof close === 'function') await Promise.resolve(close.call(value)).catch(() => undefined)
}
