import { fsync, statSync, unlinkSync } from 'node:fs'

/**
 * The small file operations of the backend. Metadata documents, locks and blob removals are
 * synchronous system calls: each takes a few microseconds on a local disk, less than the main
 * thread spends handing an asynchronous call to libuv's thread pool and taking its answer back
 * (the design of better-sqlite3 and lmdb-js). What waits on the disk (fsync) or moves many bytes
 * (blob reads and writes) stays asynchronous.
 */

/** fsync(2) on the thread pool (the callback API: cheaper than a FileHandle's). */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())))
}

/** Removes a file that may already be gone. */
export function unlinkIfThere(path: string): void {
  try {
    unlinkSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/** Removes a file if it can: for cleanup, where a failure leaves only a leftover that open or fsck removes. */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // Gone already, never written, or not removable now: nothing the caller can do about it.
  }
}

/** True if something is at `path` (one stat(2)); any error reads as absent. */
export function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined
  } catch {
    return false
  }
}
