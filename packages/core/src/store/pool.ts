/** How many blob writes or reads one operation keeps in flight: overlaps I/O with hashing. */
export const IO_CONCURRENCY = 4

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
