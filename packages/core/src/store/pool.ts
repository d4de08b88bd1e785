/**
 * How many blob writes or reads one operation keeps in flight: overlaps I/O with hashing, and
 * bounds open files and buffered bytes whatever the number of parts (a table of 100,000 columns
 * reads at most this many parts at once).
 */
export const IO_CONCURRENCY = 4

/**
 * How many objects a glob drop removes at once. Each drop is a few small metadata round trips
 * (each an fsync on fs), so the time is latency, not bandwidth: 16 in flight cut a glob drop of
 * 4,000 objects on fs with fsync from 26 s to a few seconds.
 */
export const DROP_CONCURRENCY = 16

/** Runs `fn` over `items` with at most `limit` calls in flight; rejects on the first failure. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed: unknown
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++]!
      try {
        await fn(item)
      } catch (err) {
        failed ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  if (failed !== undefined) throw failed
}

/**
 * A counting semaphore: `run(fn)` waits until fewer than `limit` calls are running. Shared by the
 * reads of one scan (the current batch and the prefetched next one), so both together stay within
 * the bound.
 */
export function limiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let active = 0
  const waiting: (() => void)[] = []
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    else active++
    try {
      return await fn()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}
