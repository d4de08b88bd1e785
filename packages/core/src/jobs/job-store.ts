import { OmegaError, errors } from '../errors.js'
import { isPlainObject, toJson, type JsonObject, type JsonValue } from '../json.js'
import { validateName } from '../names/validate-name.js'
import { ObjectStore } from '../store/object-store.js'
import type { StoreContext } from '../store/store-context.js'
import type { ScriptStore } from '../scripts/script-store.js'
import { checkTimezone, cronOf, localTimezone, nextTimes, parseSchedule } from './schedule-text.js'

/** What a scheduler does with occurrences missed while no scheduler ran: run the latest once, or skip them. */
export type CatchUpPolicy = 'once' | 'skip'

/** A scheduled job as stored in `om.jobs` (its name is the job's name). */
export interface Job {
  readonly name: string
  readonly script: string
  /** The schedule as given (`daily at 06:00` or cron). */
  readonly when: string
  readonly cron: string
  readonly description: string
  readonly timezone: string
  readonly args: JsonValue
  readonly catchUp: CatchUpPolicy
  /** Occurrences from this time on count (ISO). */
  readonly startAt: string
}

/** Options of {@link JobStore.schedule}. */
export interface ScheduleOptions {
  /** The script's `args` at every run (JSON). @default {} */
  readonly args?: JsonValue
  /** The job's name (several schedules for one script). @default the script's name */
  readonly name?: string
  /** IANA time zone of the schedule's times. @default this process's time zone */
  readonly timezone?: string
  /** Occurrences missed while no scheduler ran: `once` runs the latest at start, `skip` drops them. @default 'once' */
  readonly catchUp?: CatchUpPolicy
  /** Occurrences count from this time on. @default now */
  readonly startAt?: Date | string
}

/** What {@link JobStore.schedule} returns. */
export interface ScheduledJob {
  readonly name: string
  readonly script: string
  readonly cron: string
  readonly description: string
  readonly timezone: string
  /** The next run time (ISO). */
  readonly next: string | null
}

/** One run of a script, called directly or by a job. */
export interface RunRecord {
  readonly script: string
  readonly status: 'success' | 'failed'
  readonly startedAt: string
  readonly endedAt: string
  readonly durationMs: number
  /** The job that ran it and the occurrence it stood for (scheduled runs). */
  readonly job?: string
  readonly occurrence?: string
  /** `pool` or `inline`. */
  readonly runtime?: string
  /** The error's code and message (first 2,000 characters). */
  readonly error?: { readonly code: string; readonly message: string }
  /** Datasets the script stored through its `om`, in order; `result` if it returned a dataset's metadata. */
  readonly datasets: readonly string[]
  readonly result?: string
}

const RUNS = '.runs/'
const CLAIMS = '.claims/'
/** Claims kept per job: enough for a lagging scheduler to see that an occurrence was taken. */
const CLAIMS_KEPT = 8
const MAX_ERROR = 2000

/**
 * `om.jobs`: scripts on schedules, and every script's run history. A store like the others (SPEC §2):
 * a job is a JSON object under its name; run records and occurrence claims are hidden objects
 * (`.runs/<script>/…`, `.claims/<job>/…`), so `list()` shows jobs only.
 *
 * @example
 * ```ts
 * await om.jobs.schedule('report', 'daily at 06:00', { args: { top: 5 }, timezone: 'Europe/Zurich' })
 * await om.jobs.next('report', 3)     // the next three run times (ISO)
 * await om.jobs.runs('report')        // every run, oldest first
 * await om.runtime.scheduler.start()  // runs due jobs in this process
 * ```
 */
export class JobStore extends ObjectStore {
  constructor(
    ctx: StoreContext,
    private readonly scripts: ScriptStore,
  ) {
    super(ctx, 'jobs', 'jobs/')
  }

  /**
   * Schedules a stored script: `when` is human text (`daily at 6 AM`, `every 5 minutes`,
   * `weekdays at 9:30`, `mondays and fridays at 06:00`, `1st day of month at 06:00`, `every friday
   * at 18:00`) or five-field cron. Scheduling a job name again replaces its schedule.
   *
   * @throws {OmegaError} E_NOT_FOUND for a missing script; E_INVALID_ARGUMENT quoting unreadable text, cron with other than 5 fields or values out of range, an unknown time zone, args that are not JSON
   */
  async schedule(script: string, when: string, options: ScheduleOptions = {}): Promise<ScheduledJob> {
    const name = options.name ?? script
    validateName(name)
    const { cron, description } = parseSchedule(when)
    const timezone = checkTimezone(options.timezone ?? localTimezone())
    const catchUp = options.catchUp ?? 'once'
    if (catchUp !== 'once' && catchUp !== 'skip') throw errors.invalidArgument(`catchUp must be "once" or "skip", got ${JSON.stringify(catchUp)}`)
    const args = options.args ?? {}
    if (JSON.stringify(toJson(args as JsonValue)) !== JSON.stringify(args)) throw errors.invalidArgument(`args of job "${name}" must be JSON (they are stored with the job)`)
    const startAt = options.startAt === undefined ? new Date() : new Date(options.startAt)
    if (Number.isNaN(startAt.getTime())) throw errors.invalidArgument(`startAt is not a date: ${String(options.startAt)}`)
    await this.scripts.script(script)
    const job: Job = { name, script, when, cron, description: `${description} (${timezone})`, timezone, args, catchUp, startAt: startAt.toISOString() }
    await this.put(job as unknown as JsonObject, name, { kind: 'json', attributes: { job: true } })
    return this.#scheduled(job, startAt)
  }

  /**
   * Removes a job's schedule (its run history stays).
   *
   * @throws {OmegaError} E_NOT_FOUND if no such job
   */
  async unschedule(name: string): Promise<boolean> {
    await this.job(name)
    await this.drop(name)
    await this.drop(`${CLAIMS}${name}/*`, { force: true })
    return true
  }

  /**
   * A stored job.
   *
   * @throws {OmegaError} E_NOT_FOUND naming the job
   */
  async job(name: string): Promise<Job> {
    const value = await this.get(name).catch((err: unknown) => {
      if (OmegaError.is(err, 'E_NOT_FOUND')) throw errors.notFound('job', name, this.bucket, `schedule one with om.jobs.schedule("${name}", "daily at 06:00")`)
      throw err
    })
    if (!isJob(value)) throw errors.invalidArgument(`"${name}" in om.jobs is not a job (it was stored with put, not schedule)`, { name })
    return value
  }

  /** Every scheduled job of this bucket, by name. */
  async jobs(): Promise<Job[]> {
    const out: Job[] = []
    for (const meta of await this.list(undefined, { raw: true, kind: 'json' })) {
      if (meta.attributes.job !== true) continue
      const value = await this.get(meta.name).catch(() => undefined)
      if (isJob(value)) out.push(value)
    }
    return out
  }

  /** The next `n` run times of a job (ISO), after `from` (default now). */
  async next(name: string, n = 1, from: Date = new Date()): Promise<string[]> {
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw errors.invalidArgument(`next(name, n) takes n from 1 to 1000, got ${String(n)}`)
    const job = await this.job(name)
    const start = new Date(Math.max(from.getTime(), new Date(job.startAt).getTime() - 1))
    return nextTimes(job.cron, job.timezone, n, start).map((d) => d.toISOString())
  }

  /** Every recorded run of script `script` (called directly or by a job), oldest first. */
  async runs(script: string): Promise<RunRecord[]> {
    const metas = await this.list(`${RUNS}${script}/*`, { raw: true, hidden: true })
    return metas.map((m) => m.attributes.run as unknown as RunRecord).filter((r) => r !== undefined)
  }

  /** Records one run. @internal */
  async recordRun(record: RunRecord): Promise<void> {
    const error = record.error && { code: record.error.code, message: truncate(record.error.message) }
    const run = toJson({ ...record, ...(error && { error }) })
    const name = `${RUNS}${record.script}/${stamp(new Date(record.startedAt))}-${Math.random().toString(36).slice(2, 8)}`
    await this.put(null, name, { kind: 'json', attributes: { run } })
  }

  /**
   * Takes an occurrence of a job for this process: true for exactly one caller per occurrence,
   * across processes, through the backend's compare-and-set (a put that refuses to replace). @internal
   */
  async claim(job: string, occurrence: Date, skipped = false): Promise<boolean> {
    try {
      await this.put({ occurrence: occurrence.toISOString(), skipped }, `${CLAIMS}${job}/${stamp(occurrence)}`, { kind: 'json', replace: false })
    } catch (err) {
      if (OmegaError.is(err, 'E_CONFLICT')) return false
      throw err
    }
    const names = await this.list(`${CLAIMS}${job}/*`, { hidden: true })
    for (const old of names.slice(0, -CLAIMS_KEPT)) await this.drop(old, { force: true })
    return true
  }

  /** The latest claimed occurrence of a job. @internal */
  async lastClaim(job: string): Promise<Date | undefined> {
    const names = await this.list(`${CLAIMS}${job}/*`, { hidden: true })
    const last = names.at(-1)
    return last === undefined ? undefined : unstamp(last.slice(last.lastIndexOf('/') + 1))
  }

  #scheduled(job: Job, from: Date): ScheduledJob {
    const next = cronOf(job.cron, job.timezone).nextRun(new Date(Math.max(Date.now(), from.getTime() - 1)))
    return { name: job.name, script: job.script, cron: job.cron, description: job.description, timezone: job.timezone, next: next?.toISOString() ?? null }
  }
}

function isJob(value: unknown): value is Job {
  return isPlainObject(value) && typeof value.script === 'string' && typeof value.cron === 'string' && typeof value.timezone === 'string'
}

function truncate(text: string): string {
  return text.length <= MAX_ERROR ? text : `${text.slice(0, MAX_ERROR - 1)}…`
}

/** A time as a name segment that sorts as the time does: `20260101T060000000Z`. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '')
}

function unstamp(text: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z/.exec(text)
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`) : new Date(0)
}
