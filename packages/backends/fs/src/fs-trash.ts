import { randomUUID } from 'node:crypto'
import { linkSync, renameSync, unlink } from 'node:fs'
import { join } from 'node:path'

/** How trash files are named in `tmp/`: any of them is garbage, whatever its age. */
export const TRASH_SUFFIX = '.trash'

/** Trash files removed at once in the background (libuv's thread pool has four threads). */
const CONCURRENCY = 4

/**
 * Removes files without making the caller wait for the file system to free their blocks.
 *
 * Unlinking a file whose data is on disk frees its blocks inside the system call: about 60 µs
 * here, against 10 µs for renaming it. So a removal renames the file into `tmp/` (atomic: its
 * name is gone at once, for every process) and the unlink of the renamed file runs later on the
 * thread pool, a few at a time, as RocksDB's trash deletion does for its files. A process that
 * dies first leaves `*.trash` files in `tmp/`: the next open removes them, and fsck reports them
 * meanwhile. `close()` waits until the trash is empty.
 */
export class Trash {
  readonly #dir: string
  readonly #queue: string[] = []
  #running = 0
  #idle: (() => void)[] = []

  constructor(root: string) {
    this.#dir = join(root, 'tmp')
  }

  /**
   * Takes the file at `path` away (renames it into the trash) and schedules its removal. False
   * if nothing was there. Other errors are thrown as they are and leave the file in place.
   */
  discard(path: string): boolean {
    return this.#put(path, renameSync)
  }

  /**
   * Before `path` is replaced by a rename over it: links the file about to be replaced into the
   * trash, so that the rename only drops a name and the old blocks are freed in the background.
   * Nothing happens if there is no file at `path`.
   */
  keep(path: string): void {
    this.#put(path, linkSync)
  }

  /** Moves (rename) or adds (link) `path`'s file into the trash under a new name and queues its unlink; false if nothing was there. */
  #put(path: string, into: (from: string, to: string) => void): boolean {
    const trash = join(this.#dir, `${randomUUID()}${TRASH_SUFFIX}`)
    try {
      into(path, trash)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
    this.#queue.push(trash)
    this.#pump()
    return true
  }

  /** Resolves once every file discarded so far is removed (or failed to be: it is left to open and fsck). */
  drained(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #pump(): void {
    while (this.#running < CONCURRENCY && this.#queue.length > 0) {
      const path = this.#queue.shift()!
      this.#running++
      // A failure (the store's directory removed meanwhile) leaves a leftover for open and fsck, never an error for a caller.
      unlink(path, () => {
        this.#running--
        this.#pump()
        if (this.#running === 0 && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
  }
}
