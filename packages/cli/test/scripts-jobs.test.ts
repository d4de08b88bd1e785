// `omega scripts` and `omega jobs` on the real binary and a real LevelDB store: put, run, schedule, scheduler, run history.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@omega/conformance'
import { json, omega, startOmega } from './omega-binary.js'

interface RunJson {
  script: string
  result: unknown
  startedAt: string
  endedAt: string
  durationMs: number
}

/** A temp LevelDB store holding script files `double.mjs` (returns args.x * 2), `boom.mjs` (throws) and `tally.mjs` (stores a dataset). */
async function scriptsStore(): Promise<{ dir: string; store: string }> {
  const dir = tempDir('omega-cli-scripts-')
  await writeFile(join(dir, 'double.mjs'), 'export async function run(om, args) { return { doubled: args.x * 2, label: args.label ?? null } }\n')
  await writeFile(join(dir, 'boom.mjs'), 'export function run() { throw new Error("the sky fell") }\n')
  await writeFile(join(dir, 'tally.mjs'), 'export async function run(om, { target }) { return await om.datasets.put([{ n: 1 }, { n: 2 }], target) }\n')
  return { dir, store: `level:${join(dir, 'store')}` }
}

describe.concurrent('omega scripts and omega jobs (the binary)', { timeout: 300_000 }, () => {
  it('scripts put, run with --arg / --args (text and --json), runtime script alias, list, metadata, drop', async () => {
    const { dir, store } = await scriptsStore()
    const put = await omega(['--store', store, 'scripts', 'put', join(dir, 'double.mjs'), 'double'])
    expect(put).toMatchObject({ code: 0, stderr: '' })
    expect(put.stdout).toMatch(/^stored script double \(1 file, \d+ bytes\)/)
    const text = await omega(['--store', store, 'scripts', 'run', 'double', '--arg', 'x=21', '--arg', 'label=hi'])
    expect(text).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(text.stdout)).toEqual({ doubled: 42, label: 'hi' })
    const ran = (await json(store, ['scripts', 'run', 'double', '--args', '{"x":2,"label":"a"}', '--arg', 'label=b', '--timeout', '60000'])) as RunJson
    expect(Object.keys(ran).sort()).toEqual(['durationMs', 'endedAt', 'result', 'script', 'startedAt'])
    expect(ran).toMatchObject({ script: 'double', result: { doubled: 4, label: 'b' } })
    expect(Date.parse(ran.endedAt) - Date.parse(ran.startedAt)).toBe(ran.durationMs)
    expect(await json(store, ['runtime', 'script', 'double', '--arg', 'x=5'])).toMatchObject({ script: 'double', result: { doubled: 10 } })
    // A package directory: its package.json names the entry, which imports a file of its own.
    const pkg = join(dir, 'pkg')
    await mkdir(pkg)
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'pkg', type: 'module', exports: './main.js' }))
    await writeFile(join(pkg, 'main.js'), "import { greet } from './greet.js'\nexport const run = (om, { who }) => greet(who)\n")
    await writeFile(join(pkg, 'greet.js'), 'export const greet = (who) => `hello ${who}`\n')
    expect(await json(store, ['scripts', 'put', pkg, 'greeter'])).toMatchObject({ name: 'greeter', kind: 'script.module' })
    expect((await omega(['--store', store, 'scripts', 'run', 'greeter', '--arg', 'who=omega'])).stdout).toBe('hello omega\n')
    expect(await json(store, ['scripts', 'list'])).toEqual(['double', 'greeter'])
    expect(await json(store, ['scripts', 'metadata', 'greeter'])).toMatchObject({ kindMeta: { entry: 'main.js' } })
    expect((await omega(['--store', store, '-q', 'scripts', 'drop', 'greeter'])).stdout).toBe('')
    expect(await json(store, ['scripts', 'list'])).toEqual(['double'])
    const ghost = await omega(['--store', store, 'scripts', 'run', 'ghost'])
    expect(ghost.code).toBe(2)
    expect(ghost.stderr).toMatch(/^omega: E_NOT_FOUND: /)
  })

  it('a throwing script: exit 2 with E_WORKER and its message on stderr, recorded as failed; a syntax error fails at put', async () => {
    const { dir, store } = await scriptsStore()
    await json(store, ['scripts', 'put', join(dir, 'boom.mjs'), 'boom'])
    const boom = await omega(['--store', store, 'scripts', 'run', 'boom'])
    expect(boom.code).toBe(2)
    expect(boom.stdout).toBe('')
    expect(boom.stderr).toMatch(/^omega: E_WORKER: .*the sky fell/)
    const asJson = await omega(['--store', store, '--json', 'runtime', 'script', 'boom'])
    expect(asJson.code).toBe(2)
    expect(JSON.parse(asJson.stderr)).toMatchObject({ code: 'E_WORKER' })
    const runs = (await json(store, ['jobs', 'runs', 'boom'])) as { status: string; error: { code: string } }[]
    expect(runs.map((r) => [r.status, r.error.code])).toEqual([['failed', 'E_WORKER'], ['failed', 'E_WORKER']])
    const table = (await omega(['--store', store, 'jobs', 'runs', 'boom'])).stdout.trim().split('\n')
    expect(table[0]).toBe('status\tstartedAt\tduration\tresult/error\tjob')
    expect(table[1]).toMatch(/^failed\t\d{4}-\d\d-\d\dT[^\t]+\t\d+ ms\tE_WORKER: .*the sky fell/)
    await writeFile(join(dir, 'broken.mjs'), 'export function run( {\n')
    const broken = await omega(['--store', store, 'scripts', 'put', join(dir, 'broken.mjs'), 'broken'])
    expect(broken.code).toBe(2)
    expect(broken.stderr).toMatch(/^omega: E_INVALID_ARGUMENT: /)
    expect(await json(store, ['scripts', 'list'])).toEqual(['boom'])
  })

  it('jobs schedule with human text and with cron, list, next, unschedule; bad schedules exit 2', async () => {
    const { dir, store } = await scriptsStore()
    await json(store, ['scripts', 'put', join(dir, 'double.mjs'), 'double'])
    const human = await omega(['--store', store, 'jobs', 'schedule', 'double', 'weekdays', 'at', '9:30', '--tz', 'Europe/Zurich', '--arg', 'x=1'])
    expect(human).toMatchObject({ code: 0, stderr: '' })
    expect(human.stdout).toMatch(/^scheduled double: weekdays \(Monday to Friday\) at 09:30 \(Europe\/Zurich\)\ncron\t30 9 \* \* 1-5\nnext\t\d{4}-\d\d-\d\dT\d\d:30:00\.000Z\n$/)
    const cron = (await json(store, ['jobs', 'schedule', 'double', '0 6 1 * *', '--name', 'monthly', '--tz', 'UTC', '--args', '{"x":3}'])) as { next: string }
    expect(cron).toMatchObject({ name: 'monthly', script: 'double', cron: '0 6 1 * *', timezone: 'UTC' })
    expect(cron.next).toMatch(/^\d{4}-\d\d-01T06:00:00\.000Z$/)
    const jobs = (await json(store, ['jobs', 'list'])) as { name: string; args: unknown; next: string }[]
    expect(jobs.map((j) => [j.name, j.args])).toEqual([['double', { x: 1 }], ['monthly', { x: 3 }]])
    const next = (await json(store, ['jobs', 'next', 'monthly', '-n', '3'])) as string[]
    expect(next).toHaveLength(3)
    expect(next[0]).toBe(cron.next)
    expect([...next].sort()).toEqual(next)
    for (const [args, pattern] of [
      [['jobs', 'schedule', 'double', 'every', 'blue', 'moon'], /^omega: E_INVALID_ARGUMENT: cannot read the schedule "every blue moon"/],
      [['jobs', 'schedule', 'double', '0 24 * * *'], /^omega: E_INVALID_ARGUMENT: /],
      [['jobs', 'schedule', 'double', 'daily at 06:00', '--tz', 'Mars/Olympus'], /^omega: E_INVALID_ARGUMENT: unknown time zone/],
      [['jobs', 'schedule', 'ghost', 'daily at 06:00'], /^omega: E_NOT_FOUND: /],
      [['jobs', 'unschedule', 'ghost'], /^omega: E_NOT_FOUND: /],
    ] as const) {
      const ran = await omega(['--store', store, ...args])
      expect(ran.code, args.join(' ')).toBe(2)
      expect(ran.stderr, args.join(' ')).toMatch(pattern)
    }
    expect(await json(store, ['jobs', 'unschedule', 'monthly'])).toEqual({ name: 'monthly', unscheduled: true })
    expect(((await json(store, ['jobs', 'list'])) as { name: string }[]).map((j) => j.name)).toEqual(['double'])
    for (const args of [['jobs', 'nope'], ['scripts', 'nope'], ['jobs', 'schedule', 'double'], ['jobs', 'run-scheduler', '--once', '--for', '1s'], ['jobs', 'run-scheduler', '--for', 'soon'], ['scripts', 'run', 'double', '--args', '[1]', '--arg', 'x=1']]) {
      const ran = await omega(['--store', store, ...args])
      expect(ran.code, args.join(' ')).toBe(1)
      expect(ran.stdout, args.join(' ')).toBe('')
    }
  })

  it('run-scheduler --once runs the missed occurrence, then nothing; runs shows it; a long-running scheduler stops on SIGTERM', async ({ expect }) => {
    const { dir, store } = await scriptsStore()
    await json(store, ['scripts', 'put', join(dir, 'tally.mjs'), 'tally'])
    // Occurrences count from 2020 on: the latest missed one is due now (catch-up "once").
    await json(store, ['jobs', 'schedule', 'tally', 'daily', 'at', '00:00', '--tz', 'UTC', '--arg', 'target=tallied', '--start-at', '2020-01-01T00:00:00Z'])
    const once = (await json(store, ['jobs', 'run-scheduler', '--once'])) as { ran: { job: string; status: string }[]; skipped: unknown[] }
    expect(once.ran).toEqual([expect.objectContaining({ job: 'tally', status: 'success' })])
    expect((await omega(['--store', store, 'jobs', 'run-scheduler', '--once'])).stdout).toBe('nothing due\n')
    const runs = (await json(store, ['jobs', 'runs', 'tally'])) as { status: string; job: string; result: string; datasets: string[] }[]
    expect(runs).toEqual([expect.objectContaining({ status: 'success', job: 'tally', result: 'tallied', datasets: ['tallied'] })])
    expect((await omega(['--store', store, 'jobs', 'runs', 'tally'])).stdout).toMatch(/\nsuccess\t\S+\t\d+ ms\tstored tallied\tjob tally\n$/)
    expect(await json(store, ['datasets', 'list'])).toEqual(['tallied'])

    // A second job with a missed occurrence: the long-running scheduler catches up at start.
    await json(store, ['jobs', 'schedule', 'tally', '@daily', '--tz', 'UTC', '--name', 'daily-tally', '--arg', 'target=daily', '--start-at', '2020-01-01T00:00:00Z'])
    const running = startOmega(['--store', store, 'jobs', 'run-scheduler', '--poll', '1000'])
    await expect.poll(() => running.output.stderr, { timeout: 120_000, interval: 100 }).toMatch(/Ctrl-C stops/)
    expect(running.output.stderr).toMatch(/scheduler running on .* bucket default: 2 job\(s\)/)
    expect(running.output.stderr).toMatch(/^success\tdaily-tally\t/m)
    running.child.kill('SIGTERM')
    const ended = await running.done
    expect(ended.code).toBe(0)
    expect(ended.stdout).toMatch(/^scheduler stopped/)
    expect(await json(store, ['datasets', 'list'])).toEqual(['daily', 'tallied'])
    const timed = (await json(store, ['jobs', 'run-scheduler', '--for', '500ms'])) as { jobs: string[]; catchUp: { ran: unknown[] } }
    expect(timed).toMatchObject({ bucket: 'default', jobs: ['daily-tally', 'tally'], catchUp: { ran: [] } })
  })
})
