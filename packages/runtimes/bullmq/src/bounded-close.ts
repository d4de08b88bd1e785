/** What a BullMQ Queue, QueueEvents or Worker offers to stop. */
interface Closable {
  close(): Promise<void>
  disconnect(): Promise<void>
}

/**
 * Closes queues, event readers and workers, but waits at most `ms`: BullMQ's close waits for a
 * connection that may never come (Redis down), and a caller must never hang on that. Whatever is
 * still closing then is disconnected, so ioredis stops reconnecting and the process can exit.
 */
export async function closeWithin(closables: readonly Closable[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const closed = Promise.allSettled(closables.map((c) => c.close()))
  const timedOut = await Promise.race([closed.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms)))])
  clearTimeout(timer)
  // Not awaited: a disconnect waits for an "end" that a connection that never opened may not emit.
  if (timedOut) for (const c of closables) c.disconnect().catch(() => undefined)
}
