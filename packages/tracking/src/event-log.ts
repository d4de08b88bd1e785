import type { DatasetStore } from '@omega/core'
import { eventTable, type EventRow } from './event-schema.js'

/** What happened to buffered events: written, or lost because their write failed (the calls they describe did not fail). */
export interface CaptureStats {
  /** Events written to the store. */
  written: number
  /** Flushes (appends) done. */
  flushes: number
  /** Events dropped because their append failed. */
  lost: number
  /** Appends that failed. */
  failedWrites: number
  /** The last write error, if any. */
  lastError?: string
}

/** Versions of an event dataset kept: the latest holds every row, one more covers a reader mid-read. */
export const EVENT_VERSIONS_KEPT = 2

/**
 * Buffers event rows of one dataset and appends them in batches, off the caller's path: a flush
 * starts after `flushMs` or when `maxRows` are waiting, one at a time (appends are versioned, so
 * writers in other processes interleave safely). A failed append never throws to a logger: its
 * rows are counted as lost and the error is kept in {@link CaptureStats}.
 */
export class EventLog {
  #rows: EventRow[] = []
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()
  readonly stats: CaptureStats = { written: 0, flushes: 0, lost: 0, failedWrites: 0 }
  /** Told of every row as it is queued (alert rules). */
  onRow: ((row: EventRow) => void) | undefined

  constructor(
    readonly datasets: DatasetStore,
    readonly dataset: string,
    readonly options: { readonly flushMs: number; readonly maxRows: number },
  ) {}

  /** Queues a row; never blocks on I/O. */
  push(row: EventRow): void {
    this.#rows.push(row)
    this.onRow?.(row)
    if (this.#rows.length >= this.options.maxRows) void this.flush()
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.options.flushMs)
      this.#timer.unref()
    }
  }

  /** Rows waiting to be written. */
  get pending(): number {
    return this.#rows.length
  }

  /** Writes everything queued so far; resolves when it is stored (or counted as lost). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const rows = this.#rows
    this.#rows = []
    this.#flushing = this.#flushing.then(async () => {
      if (rows.length === 0) return
      try {
        const runs = await Promise.all(rows.map((r) => r.run))
        const table = eventTable(rows.map((r, i) => ({ ...r, run: runs[i]! })))
        await this.datasets.put(table, this.dataset, { append: true, keep: EVENT_VERSIONS_KEPT })
        this.stats.written += rows.length
        this.stats.flushes++
      } catch (err) {
        this.stats.lost += rows.length
        this.stats.failedWrites++
        this.stats.lastError = (err as Error).message
      }
    })
    return this.#flushing
  }
}
