/**
 * A readers–writer lock between writers that publish blobs (shared) and garbage collection
 * (exclusive), so this process never deletes a blob that a put is about to reference.
 */
export class GcLock {
  #readers = 0
  #writer = false
  #waiters: (() => void)[] = []

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#writer) await new Promise<void>((r) => this.#waiters.push(r))
    this.#readers++
    try {
      return await fn()
    } finally {
      this.#readers--
      this.#wake()
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#writer || this.#readers > 0) await new Promise<void>((r) => this.#waiters.push(r))
    this.#writer = true
    try {
      return await fn()
    } finally {
      this.#writer = false
      this.#wake()
    }
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}
