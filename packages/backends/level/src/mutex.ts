/**
 * Per-key async mutex: serialises compare-and-set on one key (or on several at once) within this
 * process. A call waits for the calls registered before it on any of its keys, and later calls on
 * any of them wait for it; registration is synchronous, so waits only point to earlier calls and
 * cannot form a cycle. An uncontended call starts at once (no extra turn of the event loop).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>()

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return await this.runAll([key], fn)
  }

  /** Runs `fn` holding every key of `keys`. */
  async runAll<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    let release!: () => void
    const done = new Promise<void>((r) => (release = r))
    const previous: Promise<void>[] = []
    for (const key of keys) {
      const tail = this.#tails.get(key)
      if (tail && !previous.includes(tail)) previous.push(tail)
      this.#tails.set(key, done)
    }
    try {
      if (previous.length > 0) await Promise.all(previous)
      return await fn()
    } finally {
      release()
      for (const key of keys) if (this.#tails.get(key) === done) this.#tails.delete(key)
    }
  }
}
