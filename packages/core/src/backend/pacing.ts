/**
 * Keeps store calls from holding the event loop. Backends may complete calls synchronously (fs
 * and LevelDB read and write small documents with synchronous system calls, faster than a trip
 * through libuv's thread pool), and an `await` of a call that did no real asynchronous work only
 * runs microtasks: a loop of such calls would never let timers, sockets or other callers run.
 * Every backend call therefore passes {@link pace} first, which yields one turn of the event loop
 * when calls have run for {@link SLICE_MS} without one. A backend whose one call does long
 * synchronous work (fs walking many directories) calls it along the way too.
 */

/** Longest stretch of store calls without a turn of the event loop, in milliseconds. */
export const SLICE_MS = 2

/** When the current stretch began; undefined once the event loop has turned since. */
let sliceStart: number | undefined
let waiting: (() => void)[] = []

function endSlice(): void {
  sliceStart = undefined
  const resume = waiting
  waiting = []
  for (const r of resume) r()
}

/**
 * Undefined while the current stretch is short (the usual case: one `performance.now()`), else a
 * promise resolved on the next turn of the event loop, after timers and I/O callbacks had theirs.
 */
export function pace(): Promise<void> | undefined {
  const now = performance.now()
  if (sliceStart === undefined) {
    // A stretch starts; the immediate marks the event loop's next turn, whoever yields.
    sliceStart = now
    setImmediate(endSlice)
    return undefined
  }
  if (now - sliceStart < SLICE_MS) return undefined
  return new Promise((resolve) => waiting.push(resolve))
}
