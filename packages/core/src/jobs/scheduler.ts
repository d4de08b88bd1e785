import { errors } from '../errors.js'
import type { Job, JobStore } from './job-store.js'
import { cronOf } from './schedule-text.js'

/** Options of {@link Scheduler.start}. */
export interface SchedulerOptions {
  /** The clock (tests inject one; no sleeping for minutes). @default () => new Date() */
  readonly now?: () => Date
  /** Longest wait between looks at the store, so jobs scheduled by other processes are seen. @default 30000 */
  readonly pollMs?: number
  /** Called with errors of the scheduler itself (a store failure); a job's failure is in its run record. */
  readonly onError?: (err: unknown) => void
}

/** What one look at the store did. */
export interface TickReport {
  /** Occurrences this scheduler claimed and ran (or skipped by the `skip` catch-up policy). */
  readonly ran: readonly { readonly job: string; readonly occurrence: string; readonly status: 'success' | 'failed' }[]
  readonly skipped: readonly { readonly job: string; readonly occurrence: string }[]
}

/** Runs one job occurrence (the script runner, recording the run). */
export type OccurrenceRunner = (job: Job, occurrence: Date) => Promise<unknown>

/**
 * `om.runtime.scheduler`: runs due jobs of a bucket in this process. Its state is in the store: an
 * occurrence is run by whoever claims it first (a compare-and-set on a claim object), so after a
 * restart it knows what ran, and two applications on one store never run the same occurrence
 * twice. Occurrences missed while no scheduler ran: the latest runs once at start (`catchUp:
 * 'once'`, the default) or is skipped (`'skip'`).
 */
export class Scheduler {
  #timer: NodeJS.Timeout | undefined
  #now: () => Date = () => new Date()
  #startedAt: Date | undefined
  #pollMs = 30_000
  #onError: (err: unknown) => void = () => undefined
  readonly #running = new Set<Promise<unknown>>()
  #looking: Promise<unknown> | undefined

  constructor(
    private readonly jobs: JobStore,
    private readonly runOccurrence: OccurrenceRunner,
  ) {}

  /** True between start() and stop(). */
  get running(): boolean {
    return this.#startedAt !== undefined
  }

  /**
   * Starts: looks at the store at once (catching up on missed occurrences) and resolves with what
   * that first look ran; then looks whenever the next occurrence is due, at least every `pollMs`,
   * until stop() or the instance's close(). Calling it again while started does nothing.
   *
   * @throws {OmegaError} E_INVALID_ARGUMENT for a bad `pollMs`
   */
  async start(options: SchedulerOptions = {}): Promise<TickReport> {
    const report: TickReport = { ran: [], skipped: [] }
    if (this.#startedAt) return report
    if (options.pollMs !== undefined && (!Number.isFinite(options.pollMs) || options.pollMs <= 0)) throw errors.invalidArgument(`pollMs must be a positive number, got ${options.pollMs}`)
    this.#now = options.now ?? (() => new Date())
    this.#pollMs = options.pollMs ?? 30_000
    this.#onError = options.onError ?? (() => undefined)
    this.#startedAt = this.#now()
    let first = report
    try {
      first = await this.tick()
    } catch (err) {
      this.#onError(err)
    }
    if (this.#startedAt) this.#wake(await this.#untilNext().catch(() => this.#pollMs))
    return first
  }

  /** Stops looking for due jobs and waits for the runs it started. Idempotent. */
  async stop(): Promise<void> {
    this.#startedAt = undefined
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#looking
    await Promise.allSettled([...this.#running])
  }

  /**
   * Looks at the store once at the clock's time: claims and runs every due occurrence, and waits
   * for those runs. What the timer does, callable directly with an injected clock.
   */
  async tick(): Promise<TickReport> {
    const started = await this.#dispatch()
    const ran = await Promise.all(started.runs)
    return { ran, skipped: started.skipped }
  }

  #wake(ms: number): void {
    this.#timer = setTimeout(() => {
      if (!this.#startedAt) return
      const look = this.#dispatch().then(
        async () => this.#wake(await this.#untilNext().catch(() => this.#pollMs)),
        (err: unknown) => {
          this.#onError(err)
          this.#wake(this.#pollMs)
        },
      )
      this.#looking = look
    }, ms)
  }

  async #untilNext(): Promise<number> {
    const now = this.#now()
    let soonest = this.#pollMs
    for (const job of await this.jobs.jobs()) {
      const next = cronOf(job.cron, job.timezone).nextRun(now)
      if (next) soonest = Math.min(soonest, next.getTime() - now.getTime())
    }
    return Math.max(10, soonest)
  }

  async #dispatch(): Promise<{ runs: Promise<TickReport['ran'][number]>[]; skipped: TickReport['skipped'][number][] }> {
    const now = this.#now()
    const startedAt = this.#startedAt ?? now
    const runs: Promise<TickReport['ran'][number]>[] = []
    const skipped: TickReport['skipped'][number][] = []
    for (const job of await this.jobs.jobs()) {
      // previousRuns excludes its reference time: 1 ms later includes an occurrence due right now.
      const latest = cronOf(job.cron, job.timezone).previousRuns(1, new Date(now.getTime() + 1))[0]
      if (!latest || latest.getTime() < new Date(job.startAt).getTime()) continue
      const last = await this.jobs.lastClaim(job.name)
      if (last && latest.getTime() <= last.getTime()) continue
      const occurrence = latest.toISOString()
      if (job.catchUp === 'skip' && latest.getTime() < startedAt.getTime()) {
        if (await this.jobs.claim(job.name, latest, true)) skipped.push({ job: job.name, occurrence })
        continue
      }
      if (!(await this.jobs.claim(job.name, latest))) continue
      const run = this.runOccurrence(job, latest).then(
        () => ({ job: job.name, occurrence, status: 'success' as const }),
        () => ({ job: job.name, occurrence, status: 'failed' as const }),
      )
      this.#running.add(run)
      void run.finally(() => this.#running.delete(run))
      runs.push(run)
    }
    return { runs, skipped }
  }
}
