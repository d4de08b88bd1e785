/** Per-key async mutex: serialises compare-and-set on one key within this process. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>((r) => (release = r))
    const tail = previous.then(() => current)
    this.#tails.set(key, tail)
    await previous
    try {
      return await fn()
    } finally {
      release()
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    }
  }

  /** Runs `fn` holding every key of `keys`, taken in sorted order so that two callers never wait on each other. */
  async runAll<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort()
    const hold = async (i: number): Promise<T> => (i === sorted.length ? await fn() : await this.run(sorted[i]!, () => hold(i + 1)))
    return await hold(0)
  }
}
