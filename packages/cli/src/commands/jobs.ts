import { InvalidArgumentError, Option, type Command } from 'commander'
import type { JsonValue, Omega, RunRecord, TickReport } from '@omega/core'
import { action, type ActionContext } from '../action.js'
import { collectKeyValue, jsonValue, positiveInt } from '../key-values.js'
import { UsageError, type Streams } from '../output.js'
import { stopSignal } from '../stop-signal.js'

/** `omega jobs …`: scripts on schedules (human text or cron), their next times and run history, and a scheduler process. */
export function jobsCommand(program: Command, streams: Streams): void {
  const group = program.command('jobs').description('jobs: stored scripts on schedules ("daily at 06:00", "weekdays at 9:30", cron), and every run of a script')
  group
    .command('schedule')
    .description('schedule a stored script; scheduling a job name again replaces its schedule')
    .argument('<script>')
    .argument('<when...>', 'human text (daily at 6 AM, every 5 minutes, mondays and fridays at 06:00) or five-field cron (quote it: "30 9 * * 1-5")')
    .option('--args <json>', "the script's args at every run, as JSON", jsonValue)
    .option('--arg <key=value>', 'one argument (repeatable), set on top of --args', collectKeyValue, {})
    .option('--tz <zone>', 'IANA time zone of the times (default: this machine\'s)')
    .option('--name <job>', 'the job name (several schedules for one script); default the script name')
    .addOption(new Option('--catch-up <policy>', 'occurrences missed while no scheduler ran: run the latest once, or skip them').choices(['once', 'skip']))
    .option('--start-at <time>', 'occurrences count from this time (ISO) on; default now')
    .action(
      action(streams, async (ctx, [script, when]) => {
        const om = await ctx.omega()
        const opts = ctx.opts
        const job = await om.jobs.schedule(script as string, (when as string[]).join(' '), {
          args: jobArgs(opts.args, opts.arg as Record<string, unknown>),
          ...(opts.tz !== undefined && { timezone: opts.tz as string }),
          ...(opts.name !== undefined && { name: opts.name as string }),
          ...(opts.catchUp !== undefined && { catchUp: opts.catchUp as 'once' | 'skip' }),
          ...(opts.startAt !== undefined && { startAt: opts.startAt as string }),
        })
        ctx.out.result(job, [`scheduled ${job.name}: ${job.description}`, `cron\t${job.cron}`, `next\t${job.next ?? 'never'}`].join('\n'))
      }),
    )
  group
    .command('list')
    .description('scheduled jobs: name, script, cron, description and next run')
    .action(
      action(streams, async (ctx) => {
        const om = await ctx.omega()
        const jobs = await Promise.all((await om.jobs.jobs()).map(async (job) => ({ ...job, next: (await om.jobs.next(job.name, 1))[0] ?? null })))
        ctx.out.data(jobs, jobs.map((j) => `${j.name}\t${j.script}\t${j.cron}\t${j.description}\tnext ${j.next ?? 'never'}`).join('\n'))
      }),
    )
  group
    .command('unschedule')
    .description("remove a job's schedule (its run history stays)")
    .argument('<name>')
    .action(
      action(streams, async (ctx, [name]) => {
        await (await ctx.omega()).jobs.unschedule(name as string)
        ctx.out.result({ name, unscheduled: true }, `unscheduled ${name as string}`)
      }),
    )
  group
    .command('runs')
    .description('every recorded run of a script (direct or scheduled), oldest first: status, start, duration, result or error')
    .argument('<script>')
    .option('-n, --last <n>', 'only the newest N runs', positiveInt)
    .action(
      action(streams, async (ctx, [script]) => {
        const all = await (await ctx.omega()).jobs.runs(script as string)
        const runs = ctx.opts.last === undefined ? all : all.slice(-(ctx.opts.last as number))
        ctx.out.data(runs, runsTable(runs))
      }),
    )
  group
    .command('next')
    .description('the next run times of a job (ISO)')
    .argument('<name>')
    .option('-n, --count <n>', 'how many', positiveInt, 1)
    .action(
      action(streams, async (ctx, [name]) => {
        ctx.out.data(await (await ctx.omega()).jobs.next(name as string, ctx.opts.count as number))
      }),
    )
  group
    .command('run-scheduler')
    .description('run due jobs of the bucket in this process until Ctrl-C / SIGTERM (or --for); --once runs what is due now and exits (for cron or systemd timers)')
    .option('--once', 'look once: run every due occurrence (and the latest missed one of catch-up "once" jobs), then exit')
    .option('--for <duration>', 'stop after this long: 90s, 10m, 2h, or milliseconds', duration)
    .option('--poll <ms>', 'longest wait between looks at the store (jobs other processes schedule)', positiveInt)
    .action(action(streams, async (ctx) => await runScheduler(ctx)))
}

/** The args of a job: `--args` JSON with `--arg` keys set on top. */
function jobArgs(given: unknown, pairs: Record<string, unknown>): JsonValue {
  if (Object.keys(pairs).length === 0) return (given ?? {}) as JsonValue
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new UsageError('--arg sets keys of an object: --args must then be a JSON object')
  }
  return { ...(given as object), ...pairs } as JsonValue
}

function runsTable(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return 'no runs'
  const rows = runs.map((r) => [
    r.status,
    r.startedAt,
    `${r.durationMs} ms`,
    r.error ? `${r.error.code}: ${r.error.message.split('\n')[0]!}` : r.result !== undefined ? `stored ${r.result}` : r.datasets.length > 0 ? `stored ${r.datasets.join(', ')}` : '',
    r.job === undefined ? '' : `job ${r.job}`,
  ])
  return [['status', 'startedAt', 'duration', 'result/error', 'job'], ...rows].map((cells) => cells.join('\t').trimEnd()).join('\n')
}

/** Parses `90s`, `10m`, `2h`, `500ms` or plain milliseconds. */
function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!m) throw new InvalidArgumentError(`expected a duration such as 90s, 10m, 2h or milliseconds, got "${text}"`)
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']!
  if (ms <= 0) throw new InvalidArgumentError(`expected a positive duration, got "${text}"`)
  return ms
}

async function runScheduler(ctx: ActionContext): Promise<void> {
  const om = await ctx.omega()
  const scheduler = om.runtime.scheduler
  if (ctx.opts.once === true) {
    if (ctx.opts.for !== undefined) throw new UsageError('--once and --for exclude each other')
    const report = await scheduler.tick()
    ctx.out.data(report, tickText(report))
    return
  }
  const startedAt = new Date().toISOString()
  // Before the announcement below: a SIGTERM sent on reading it must find the handler.
  const stopped = stopSignal(ctx.opts.for as number | undefined)
  const first = await scheduler.start({
    ...(ctx.opts.poll !== undefined && { pollMs: ctx.opts.poll as number }),
    onError: (err) => ctx.out.error('scheduler', err instanceof Error ? err.message : String(err)),
  })
  if (!ctx.globals.json && !ctx.globals.quiet) ctx.out.streams.stderr.write(`${await startText(om)}\n${first.ran.length + first.skipped.length > 0 ? `${tickText(first)}\n` : ''}`)
  await stopped
  await scheduler.stop()
  const jobs = (await om.jobs.jobs()).map((j) => j.name)
  ctx.out.result({ bucket: om.bucketName, jobs, startedAt, stoppedAt: new Date().toISOString(), catchUp: first }, `scheduler stopped; runs are in omega jobs runs <script>`)
}

function tickText(report: TickReport): string {
  if (report.ran.length === 0 && report.skipped.length === 0) return 'nothing due'
  return [...report.ran.map((r) => `${r.status}\t${r.job}\t${r.occurrence}`), ...report.skipped.map((s) => `skipped\t${s.job}\t${s.occurrence}`)].join('\n')
}

async function startText(om: Omega): Promise<string> {
  const jobs = await om.jobs.jobs()
  const lines = await Promise.all(jobs.map(async (j) => `  ${j.name}\t${j.description}\tnext ${(await om.jobs.next(j.name, 1))[0] ?? 'never'}`))
  return [`scheduler running on ${om.location} bucket ${om.bucketName}: ${jobs.length} job(s); Ctrl-C stops`, ...lines].join('\n')
}
