// Scripts stored as data and run inline with the real om; jobs and their run history (memory store).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Omega, OmegaError, ScriptHandler, ScriptPackage, type Metadata, type StoredArtifacts } from '@omega/core'

let om: Omega

beforeEach(async () => {
  om = await Omega.open({ store: 'memory:', runtime: 'inline' })
})
afterEach(async () => {
  await om.close()
})

async function failure(work: Promise<unknown>): Promise<OmegaError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!OmegaError.is(err)) throw new Error(`expected an OmegaError, got ${String(err)}`)
  return err
}

const REPORT = `
export async function run(om, args) {
  const table = await om.datasets.get(args.source)
  const values = table.getChild('x').toArray()
  const total = values.reduce((a, b) => a + b, 0)
  return await om.datasets.put([{ rows: table.numRows, total }], args.target)
}`

describe('om.scripts.put', () => {
  it('stores module source as a script: bytes plus a manifest (entry, files, sha256)', async () => {
    const meta = await om.scripts.put(REPORT, 'report')
    expect(meta.kind).toBe('script.module')
    expect(meta.kindMeta).toMatchObject({ entry: 'index.mjs', format: 'zip', files: [{ path: 'index.mjs', size: REPORT.length }] })
    expect((meta.kindMeta.files as { sha256: string }[])[0]!.sha256).toMatch(/^[0-9a-f]{64}$/)
    const pkg = (await om.scripts.get('report')) as ScriptPackage
    expect(pkg).toBeInstanceOf(ScriptPackage)
    expect(pkg.source()).toBe(REPORT)
    // The same source gives the same bytes: one extraction directory per sha256.
    expect((await om.scripts.put(REPORT, 'report-copy')).sha256).toBe(meta.sha256)
  })

  it('accepts every way of exporting run, and never executes the module at put', async () => {
    const flag = `__omegaPutRan${Math.random().toString(36).slice(2)}`
    await om.scripts.put(`globalThis.${flag} = true\nexport const run = async () => 1`, 'a')
    await om.scripts.put('function go() { return 2 }\nexport { go as run }', 'b')
    await om.scripts.put('export function run() { return 3 }', 'c')
    expect((globalThis as Record<string, unknown>)[flag]).toBeUndefined()
    expect((await om.runtime.script('a').run()).result).toBe(1)
    expect((globalThis as Record<string, unknown>)[flag]).toBe(true)
    expect((await om.runtime.script('b').run()).result).toBe(2)
  })

  it('a syntax error fails at put with file, line and column, and nothing is stored', async () => {
    const err = await failure(om.scripts.put('export function run(om) {\n  return om.datasets.get("x"\n}', 'broken'))
    expect(err.code).toBe('E_INVALID_ARGUMENT')
    expect(err.message).toMatch(/script "broken": syntax error in index\.mjs at line 3, column 1/)
    expect(err.details).toMatchObject({ file: 'index.mjs', line: 3, column: 1 })
    expect(await om.scripts.exists('broken')).toBe(false)
  })

  it('a module without run fails at put', async () => {
    for (const source of ['export function walk() {}', 'export default { run() {} }', 'const run = 1']) {
      const err = await failure(om.scripts.put(source, 'norun'))
      expect(err.code).toBe('E_INVALID_ARGUMENT')
      expect(err.message).toContain('index.mjs does not export run; write `export async function run(om, args) { … }`')
    }
    expect(await om.scripts.exists('norun')).toBe(false)
  })

  it('a missing path and a bad name fail before anything is written', async () => {
    expect((await failure(om.scripts.put({ path: '/nonexistent/report.mjs' }, 'x'))).code).toBe('E_INVALID_ARGUMENT')
    expect((await failure(om.scripts.put(REPORT, 'bad/../name'))).code).toBe('E_INVALID_NAME')
    expect(await om.scripts.list()).toEqual([])
  })

  it('a stored archive whose manifest points outside its directory or whose bytes changed is E_INTEGRITY', async () => {
    const handler = new ScriptHandler()
    const artifacts = await handler.serialize(new ScriptPackage('index.mjs', new Map([['index.mjs', new TextEncoder().encode('export function run() {}')]])))
    const archive = artifacts.parts.archive as Uint8Array
    const stored = (kindMeta: object): StoredArtifacts => ({
      kindMeta: kindMeta as never,
      partNames: ['archive'],
      bytes: async () => archive,
      stream: async function* () {
        yield archive
      },
      size: () => archive.byteLength,
    })
    const files = artifacts.kindMeta.files as { path: string; sha256: string; size: number }[]
    const outside = { ...artifacts.kindMeta, entry: '../index.mjs', files: [{ ...files[0]!, path: '../index.mjs' }] }
    expect((await failure(handler.deserialize(stored(outside)))).code).toBe('E_INTEGRITY')
    const altered = { ...artifacts.kindMeta, files: [{ ...files[0]!, sha256: '0'.repeat(64) }] }
    expect((await failure(handler.deserialize(stored(altered)))).code).toBe('E_INTEGRITY')
    expect((await handler.deserialize(stored(artifacts.kindMeta))).source()).toBe('export function run() {}')
  })
})

describe('om.runtime.script(name).run inline', () => {
  it('runs with the real om, resolves to { result, startedAt, endedAt, durationMs } and records the run', async () => {
    await om.datasets.put([{ x: 1 }, { x: 2 }, { x: 4 }], 'numbers')
    await om.scripts.put(REPORT, 'report')
    const run = await om.runtime.script('report').run({ source: 'numbers', target: 'summary' })
    expect((run.result as Metadata).name).toBe('summary')
    expect(run.durationMs).toBe(Date.parse(run.endedAt) - Date.parse(run.startedAt))
    expect((await om.datasets.get('summary')).toArray().map((r) => r.toJSON())).toEqual([{ rows: 3, total: 7 }])
    const [record] = await om.jobs.runs('report')
    expect(record).toMatchObject({ script: 'report', status: 'success', runtime: 'inline', datasets: ['summary'], result: 'summary', startedAt: run.startedAt, endedAt: run.endedAt })
  })

  it('a throw rejects with E_WORKER carrying the script message and stack, and is recorded as failed', async () => {
    await om.scripts.put('export function run(om, args) {\n  throw new Error(`no data for ${args.day}`)\n}', 'fails')
    const err = await failure(om.runtime.script('fails').run({ day: '2026-01-01' }))
    expect(err.code).toBe('E_WORKER')
    expect(err.message).toBe('script "fails" failed: no data for 2026-01-01')
    expect(err.details.stack).toMatch(/index\.mjs:2/)
    const runs = await om.jobs.runs('fails')
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'failed', error: { code: 'E_WORKER', message: 'script "fails" failed: no data for 2026-01-01' } })
  })

  it("an omega error the script lets through keeps its code and names the script; long messages are truncated in the record", async () => {
    await om.scripts.put('export async function run(om) { return await om.datasets.get("nope") }', 'missing-data')
    const err = await failure(om.runtime.script('missing-data').run())
    expect(err.code).toBe('E_NOT_FOUND')
    expect(err.message).toMatch(/^script "missing-data" failed: .*"nope" not found/)
    await om.scripts.put('export function run() { throw new Error("x".repeat(5000)) }', 'loud')
    await failure(om.runtime.script('loud').run())
    const [record] = await om.jobs.runs('loud')
    expect(record!.error!.message.length).toBe(2000)
    expect(record!.error!.message.endsWith('…')).toBe(true)
  })

  it('a missing script is E_NOT_FOUND and leaves no history; a script that never settles is E_TIMEOUT', async () => {
    expect((await failure(om.runtime.script('nope').run())).code).toBe('E_NOT_FOUND')
    expect(await om.jobs.runs('nope')).toEqual([])
    await om.scripts.put('export function run() { return new Promise(() => {}) }', 'stuck')
    const err = await failure(om.runtime.script('stuck').run({}, { timeoutMs: 50 }))
    expect(err.code).toBe('E_TIMEOUT')
    expect(err.message).toContain('script "stuck" did not finish within 50 ms')
    expect((await om.jobs.runs('stuck'))[0]).toMatchObject({ status: 'failed', error: { code: 'E_TIMEOUT' } })
  })
})

describe('om.jobs', () => {
  it('schedule stores { name, cron, description, next }; list, next, unschedule; still a store (SPEC §2)', async () => {
    await om.scripts.put(REPORT, 'report')
    const job = await om.jobs.schedule('report', 'daily at 6 AM', { timezone: 'UTC', args: { source: 'numbers', target: 'summary' }, startAt: '2025-12-01T00:00:00Z' })
    expect(job).toMatchObject({ name: 'report', script: 'report', cron: '0 6 * * *', description: 'every day at 06:00 (UTC)', timezone: 'UTC' })
    expect(Date.parse(job.next!)).toBeGreaterThan(Date.now())
    expect(new Date(job.next!).getUTCHours()).toBe(6)
    expect(await om.jobs.list()).toEqual(['report'])
    expect(await om.jobs.next('report', 3, new Date('2026-01-01T00:00:00Z'))).toEqual(['2026-01-01T06:00:00.000Z', '2026-01-02T06:00:00.000Z', '2026-01-03T06:00:00.000Z'])
    await om.jobs.schedule('report', '0 6 * * 1-5', { name: 'report-weekdays', timezone: 'Europe/Zurich' })
    expect(await om.jobs.list()).toEqual(['report', 'report-weekdays'])
    expect((await om.jobs.jobs()).map((j) => j.cron)).toEqual(['0 6 * * *', '0 6 * * 1-5'])
    // The common store methods keep working next to the job calls.
    await om.jobs.put({ note: 'not a job' }, 'notes')
    expect(await om.jobs.get('notes')).toEqual({ note: 'not a job' })
    expect((await om.jobs.jobs()).map((j) => j.name)).toEqual(['report', 'report-weekdays'])
    expect(await om.jobs.unschedule('report')).toBe(true)
    expect(await om.jobs.list()).toEqual(['notes', 'report-weekdays'])
    expect((await failure(om.jobs.unschedule('report'))).code).toBe('E_NOT_FOUND')
  })

  it('a missing script is E_NOT_FOUND; bad text, 7-field cron, bad ranges and zones are E_INVALID_ARGUMENT; nothing is stored', async () => {
    expect((await failure(om.jobs.schedule('nope', 'daily at 06:00'))).code).toBe('E_NOT_FOUND')
    await om.scripts.put(REPORT, 'report')
    const bad = await failure(om.jobs.schedule('report', 'whenever you like'))
    expect(bad.code).toBe('E_INVALID_ARGUMENT')
    expect(bad.message).toContain('"whenever you like"')
    expect(bad.message).toContain('"daily at 06:00"')
    expect((await failure(om.jobs.schedule('report', '0 0 6 * * * 2026'))).code).toBe('E_INVALID_ARGUMENT')
    expect((await failure(om.jobs.schedule('report', '0 24 * * *'))).code).toBe('E_INVALID_ARGUMENT')
    expect((await failure(om.jobs.schedule('report', 'daily at 06:00', { timezone: 'Mars/Olympus' }))).message).toContain('unknown time zone "Mars/Olympus"')
    expect(await om.jobs.list()).toEqual([])
  })
})

describe('scheduler with an injected clock', () => {
  it('runs a due job once per occurrence, records successes and failures, and skips missed occurrences with catchUp: skip', async () => {
    await om.datasets.put([{ x: 1 }, { x: 2 }], 'numbers')
    await om.scripts.put(REPORT, 'report')
    await om.scripts.put('export function run() { throw new Error("always fails") }', 'broken')
    const t0 = new Date('2026-01-01T00:00:00Z')
    let now = t0
    await om.jobs.schedule('report', 'every 5 minutes', { args: { source: 'numbers', target: 'summary' }, startAt: t0, timezone: 'UTC' })
    await om.jobs.schedule('broken', 'every 5 minutes', { startAt: t0, timezone: 'UTC' })
    const scheduler = om.runtime.scheduler
    expect((await scheduler.start({ now: () => now, pollMs: 3_600_000 })).ran).toEqual([
      { job: 'broken', occurrence: '2026-01-01T00:00:00.000Z', status: 'failed' },
      { job: 'report', occurrence: '2026-01-01T00:00:00.000Z', status: 'success' },
    ])
    now = new Date('2026-01-01T00:03:00Z')
    expect((await scheduler.tick()).ran).toEqual([])
    now = new Date('2026-01-01T00:05:00Z')
    expect((await scheduler.tick()).ran.map((r) => r.status)).toEqual(['failed', 'success'])
    expect((await scheduler.tick()).ran).toEqual([]) // the same occurrence never runs twice
    await scheduler.stop()
    const runs = await om.jobs.runs('report')
    expect(runs.map((r) => [r.status, r.job, r.occurrence, r.datasets])).toEqual([
      ['success', 'report', '2026-01-01T00:00:00.000Z', ['summary']],
      ['success', 'report', '2026-01-01T00:05:00.000Z', ['summary']],
    ])
    expect((await om.jobs.runs('broken')).map((r) => [r.status, r.error?.message])).toEqual([
      ['failed', 'script "broken" failed: always fails'],
      ['failed', 'script "broken" failed: always fails'],
    ])
  })

  it('a job whose script was dropped records a failed run naming the missing script', async () => {
    await om.scripts.put('export function run() { return 1 }', 'gone')
    const t0 = new Date('2026-01-01T00:00:00Z')
    await om.jobs.schedule('gone', 'daily at 06:00', { startAt: t0, timezone: 'UTC' })
    await om.scripts.drop('gone')
    let now = new Date('2026-01-01T06:00:00Z')
    expect((await om.runtime.scheduler.start({ now: () => now, pollMs: 3_600_000 })).ran).toEqual([{ job: 'gone', occurrence: now.toISOString(), status: 'failed' }])
    expect((await om.jobs.runs('gone'))[0]).toMatchObject({ status: 'failed', job: 'gone', error: { code: 'E_NOT_FOUND' } })
    expect((await om.jobs.runs('gone'))[0]!.error!.message).toContain('script "gone" not found')
    now = new Date('2026-01-01T07:00:00Z')
    expect((await om.runtime.scheduler.tick()).ran).toEqual([])
  })

  it('catchUp: skip drops occurrences missed before start, and runs the ones after', async () => {
    await om.scripts.put('export function run() { return 1 }', 'tick')
    const t0 = new Date('2026-01-01T00:00:00Z')
    await om.jobs.schedule('tick', 'every 5 minutes', { startAt: t0, timezone: 'UTC', catchUp: 'skip' })
    let now = new Date('2026-01-01T01:02:00Z')
    const first = await om.runtime.scheduler.start({ now: () => now, pollMs: 3_600_000 })
    expect(first).toEqual({ ran: [], skipped: [{ job: 'tick', occurrence: '2026-01-01T01:00:00.000Z' }] })
    now = new Date('2026-01-01T01:05:00Z')
    expect((await om.runtime.scheduler.tick()).ran).toEqual([{ job: 'tick', occurrence: '2026-01-01T01:05:00.000Z', status: 'success' }])
    expect(await om.jobs.runs('tick')).toHaveLength(1)
  })

  it('once started it wakes by itself at the next occurrence (a real timer; the clock is shifted to 300 ms before a minute)', async () => {
    await om.scripts.put('export function run() { return 1 }', 'tick')
    const boundary = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000
    const offset = boundary - 300 - Date.now()
    const clock = (): Date => new Date(Date.now() + offset)
    await om.jobs.schedule('tick', 'every 1 minutes', { startAt: clock(), timezone: 'UTC' })
    expect(await om.runtime.scheduler.start({ now: clock })).toEqual({ ran: [], skipped: [] })
    expect(om.runtime.scheduler.running).toBe(true)
    for (let waited = 0; waited < 10_000 && (await om.jobs.runs('tick')).length === 0; waited += 50) await new Promise((r) => setTimeout(r, 50))
    expect((await om.jobs.runs('tick')).map((r) => [r.status, r.occurrence])).toEqual([['success', new Date(boundary).toISOString()]])
    await om.runtime.scheduler.stop()
    expect(om.runtime.scheduler.running).toBe(false)
  })
})
