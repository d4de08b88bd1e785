// The scheduler's state lives in the store: a restart knows what ran and catches up once, and two
// schedulers on one fs store (in one process or in two) never run the same occurrence twice.
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { Omega } from '@omega/omega'
import { tempDir } from '@omega/conformance'

const omegaEntry = new URL('../packages/omega/dist/index.js', import.meta.url).href
const T0 = new Date('2026-01-01T00:00:00Z')
const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000)

const COUNT = 'export async function run(om, args) { return await om.datasets.put([{ at: args.tag }], "ticks", { append: true }) }'

async function openFs(dir: string): Promise<Omega> {
  return await Omega.open({ store: `fs:${dir}`, runtime: 'inline' })
}

describe('scheduler state in the store', () => {
  it('after a restart it knows what ran: the missed occurrences run once (catchUp: once) or are skipped (catchUp: skip)', async () => {
    const dir = tempDir('omega-sched-restart-')
    const first = await openFs(dir)
    await first.scripts.put(COUNT, 'count')
    await first.jobs.schedule('count', 'every 5 minutes', { args: { tag: 'once' }, startAt: T0, timezone: 'UTC' })
    await first.jobs.schedule('count', 'every 5 minutes', { name: 'count-skip', args: { tag: 'skip' }, startAt: T0, timezone: 'UTC', catchUp: 'skip' })
    expect((await first.runtime.scheduler.start({ now: () => T0, pollMs: 3_600_000 })).ran.map((r) => r.job)).toEqual(['count', 'count-skip'])
    await first.close()

    // Down for 32 minutes: six occurrences of each job were missed.
    let now = minutes(32)
    const second = await openFs(dir)
    const report = await second.runtime.scheduler.start({ now: () => now, pollMs: 3_600_000 })
    expect(report).toEqual({
      ran: [{ job: 'count', occurrence: '2026-01-01T00:30:00.000Z', status: 'success' }],
      skipped: [{ job: 'count-skip', occurrence: '2026-01-01T00:30:00.000Z' }],
    })
    now = minutes(35)
    expect((await second.runtime.scheduler.tick()).ran.map((r) => r.job)).toEqual(['count', 'count-skip'])
    // Both jobs run script "count": its history holds the runs of both (same-tick runs in either order).
    const runs = await second.jobs.runs('count')
    expect(runs.map((r) => [r.job, r.occurrence]).sort((x, y) => (x[1]! + x[0]! < y[1]! + y[0]! ? -1 : 1))).toEqual([
      ['count', '2026-01-01T00:00:00.000Z'],
      ['count-skip', '2026-01-01T00:00:00.000Z'],
      ['count', '2026-01-01T00:30:00.000Z'],
      ['count', '2026-01-01T00:35:00.000Z'],
      ['count-skip', '2026-01-01T00:35:00.000Z'],
    ])
    expect((await second.datasets.get('ticks')).numRows).toBe(5)
    await second.close()
  })

  it('two instances on one fs store tick together and run each occurrence exactly once', async () => {
    const dir = tempDir('omega-sched-two-')
    const a = await openFs(dir)
    const b = await openFs(dir)
    await a.scripts.put(COUNT, 'count')
    await a.jobs.schedule('count', 'every 1 minutes', { args: { tag: 'x' }, startAt: T0, timezone: 'UTC' })
    let now = T0
    await Promise.all([a.runtime.scheduler.start({ now: () => now, pollMs: 3_600_000 }), b.runtime.scheduler.start({ now: () => now, pollMs: 3_600_000 })])
    for (let i = 1; i < 12; i++) {
      now = minutes(i)
      await Promise.all([a.runtime.scheduler.tick(), b.runtime.scheduler.tick()])
    }
    const occurrences = (await a.jobs.runs('count')).map((r) => r.occurrence)
    expect(occurrences).toEqual(Array.from({ length: 12 }, (_, i) => minutes(i).toISOString()))
    expect((await a.datasets.get('ticks')).numRows).toBe(12)
    await a.close()
    await b.close()
  })

  it('two processes on one fs store never run the same occurrence twice', async () => {
    const dir = tempDir('omega-sched-procs-')
    const om = await openFs(dir)
    await om.scripts.put(COUNT, 'count')
    await om.jobs.schedule('count', 'every 1 minutes', { args: { tag: 'p' }, startAt: T0, timezone: 'UTC' })
    await om.close()
    const occurrences = 15
    const [a, b] = await Promise.all([scheduleIn(dir, occurrences), scheduleIn(dir, occurrences)])
    const ranByA = new Set(a)
    expect(b.filter((o) => ranByA.has(o))).toEqual([])
    expect([...a, ...b].sort()).toEqual(Array.from({ length: occurrences }, (_, i) => minutes(i).toISOString()))
    const check = await openFs(dir)
    expect((await check.jobs.runs('count')).length).toBe(occurrences)
    await check.close()
  })
})

/** A child process that opens the store and ticks through `count` one-minute occurrences; prints what it ran. */
function scheduleIn(dir: string, count: number): Promise<string[]> {
  const script = `
    import { Omega } from ${JSON.stringify(omegaEntry)}
    const om = await Omega.open({ store: 'fs:' + process.argv[1], runtime: 'inline' })
    const t0 = ${T0.getTime()}
    let now = new Date(t0)
    const ran = []
    const first = await om.runtime.scheduler.start({ now: () => now, pollMs: 3_600_000 })
    ran.push(...first.ran.map((r) => r.occurrence))
    for (let i = 1; i < ${count}; i++) {
      now = new Date(t0 + i * 60000)
      ran.push(...(await om.runtime.scheduler.tick()).ran.map((r) => r.occurrence))
    }
    await om.close()
    console.log(JSON.stringify(ran))
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`scheduler process exited with ${code}`))))
  })
}
