// Alert rules whose action is a stored script: run on the instance's runtime (inline and pool), recorded in om.jobs.runs.
import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { Omega, type OpenOptions } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { monitor, Tracking, type AlertEventJson } from '../dist/index.js'
import { FS, POOL, rng } from './helpers.js'

const NOTIFY = `
export async function run(om, args) {
  const e = args.event
  return await om.datasets.put([{ channel: args.channel, experiment: e.experiment, event: e.event, key: e.key, value: e.value, drift: e.json.drift, x1: e.json.columns.x1.drift, dt: e.dt }], 'alerts/drift')
}`
const THROWS = `export function run() { throw new Error('pager is down') }`
const SLEEPS = `export async function run() { await new Promise((r) => setTimeout(r, 5000)) }`

/** A dataset whose second version has x1 shifted: its monitor's capture() logs a drifted event. */
async function drifting(om: Omega): Promise<void> {
  const r = rng(3)
  await om.datasets.put(tableFromArrays({ x1: Float64Array.from({ length: 300 }, () => r()) }), 'tx')
  await om.datasets.put(tableFromArrays({ x1: Float64Array.from({ length: 300 }, () => r() + 0.5) }), 'tx')
}

const modes: [string, () => OpenOptions][] = [
  ['inline', () => ({ store: 'memory:', runtime: 'inline' })],
  ['pool', () => ({ store: `fs:${tempDir('omega-alert-')}`, runtime: 'pool', threads: 1, plugins: [FS, POOL] })],
]

describe.each(modes)('alert actions as stored scripts (%s runtime)', (mode, options) => {
  it('a drift event runs the stored script, which writes through its om; the run is in om.jobs.runs; failures are counted, never raised', async () => {
    const om = await Omega.open(options())
    try {
      await drifting(om)
      await om.scripts.put(NOTIFY, 'notify-drift')
      await om.scripts.put(THROWS, 'broken-pager')
      const tracking = Tracking.of(om)
      tracking.alert({ event: 'drift', action: { script: 'notify-drift', args: { channel: 'ops' } } })
      tracking.alert({ event: 'drift', action: { script: 'broken-pager' } })
      tracking.alert({ event: 'drift', action: { script: 'never-stored' } })
      tracking.alert({ event: 'snapshot', action: { script: 'notify-drift' } }) // another event: never fires
      const mon = monitor(om, { dataset: 'tx' })
      const report = await mon.capture()
      expect(report.drift).toBe(true)
      await tracking.alertsSettled()

      const rows = (await om.datasets.get('alerts/drift')).toArray().map((r) => ({ ...r }))
      expect(rows).toHaveLength(1)
      const sent = rows[0] as Record<string, unknown> & Pick<AlertEventJson, 'dt'>
      expect(sent).toMatchObject({ channel: 'ops', experiment: 'monitor/tx', event: 'drift', key: 'tx', value: 1, drift: true, x1: true })
      expect(Number.isNaN(Date.parse(sent.dt))).toBe(false)

      const runs = await om.jobs.runs('notify-drift')
      expect(runs).toHaveLength(1)
      expect(runs[0]).toMatchObject({ script: 'notify-drift', status: 'success', datasets: ['alerts/drift'], runtime: mode })
      const failed = await om.jobs.runs('broken-pager')
      expect(failed).toHaveLength(1)
      expect(failed[0]).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('pager is down') } })

      // The throwing script and the missing one: counted, and capture() still resolved above.
      expect(tracking.alertFailures).toBe(2)
      expect(tracking.stats()).toMatchObject({ alertFailures: 2, lastAlertError: expect.any(String) })
      expect(await om.jobs.runs('never-stored')).toEqual([])
    } finally {
      await om.close()
    }
  })

  it.runIf(mode === 'pool')('a script past its timeoutMs is stopped and counted', async () => {
    const om = await Omega.open(options())
    try {
      await drifting(om)
      await om.scripts.put(SLEEPS, 'slow-pager')
      const tracking = Tracking.of(om)
      tracking.alert({ event: 'drift', action: { script: 'slow-pager', timeoutMs: 200 } })
      await monitor(om, { dataset: 'tx' }).capture()
      await tracking.alertsSettled()
      expect(tracking.alertFailures).toBe(1)
      expect(tracking.lastAlertError).toMatch(/did not finish within 200 ms/)
      expect((await om.jobs.runs('slow-pager'))[0]).toMatchObject({ status: 'failed', error: { code: 'E_TIMEOUT' } })
    } finally {
      await om.close()
    }
  })
})

describe('alert rule shapes', () => {
  it('a bad action fails at alert() with E_INVALID_ARGUMENT and adds no rule', async () => {
    const om = await Omega.open({ store: 'memory:', runtime: 'inline' })
    try {
      const tracking = Tracking.of(om)
      const bad: unknown[] = [
        { event: 'drift' },
        { event: 'drift', action: 42 },
        { event: 'drift', action: null },
        { event: 'drift', action: [] },
        { event: 'drift', action: {} },
        { event: 'drift', action: { script: '' } },
        { event: 'drift', action: { script: 7 } },
        { event: 'drift', action: { script: 'x', timeoutMs: -1 } },
        { event: 'drift', action: { script: 'x', timeoutMs: Infinity } },
        { event: 'drift', action: { script: 'x', args: [1] } },
        { event: 'drift', action: { script: 'x', args: { event: 'mine' } } },
        { event: 'drift', action: { script: 'x', timeout: 100 } },
        { event: 'drift', action: { script: 'x' }, key: 3 },
        { action: { script: 'x' } },
      ]
      for (const rule of bad) expect(() => tracking.alert(rule as never), JSON.stringify(rule)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }))
      await om.datasets.put([{ a: 1 }], 'd')
      await monitor(om, { dataset: 'd' }).capture()
      await tracking.alertsSettled()
      expect(tracking.alertFailures).toBe(0)
    } finally {
      await om.close()
    }
  })
})
