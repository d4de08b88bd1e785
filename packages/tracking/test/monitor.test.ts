import { tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { Omega, type Tensor } from '@omega/core'
import { experiments, monitor, Tracking, type AlertEvent } from '../dist/index.js'
import { features, openWithModel, rng } from './helpers.js'

describe('drift monitors', () => {
  it('a model monitor compares captured inputs with the fit data and flags only the shifted column', async () => {
    const om = await openWithModel({ store: 'memory:', runtime: 'inline' })
    try {
      const exp = experiments(om, 'prod')
      await exp.track('m', { capture: true })
      for (let r = 0; r < 3; r++) {
        await exp.run(async () => {
          const f = features(100, 10 + r, 0.5)
          await om.runtime.model('m').predict<Tensor>(tableFromArrays({ x1: f.x1, x2: f.x2, x3: f.x3 }))
        })
      }
      const mon = monitor(om, 'm', { experiment: 'prod' })
      const report = await mon.compare()
      expect(report.rows).toEqual({ baseline: 200, target: 300 })
      expect(report.drift).toBe(true)
      expect(report.columns.x1).toMatchObject({ test: 'ks', drift: true })
      expect(report.columns.x1!.pvalue).toBeLessThan(1e-10)
      expect(report.columns.x1!.wasserstein).toBeGreaterThan(0.4)
      expect(report.columns.x2!.drift).toBe(false)
      expect(report.columns.x3!.drift).toBe(false)
      // Recent = the last run only.
      expect((await mon.compare({ recent: { run: -1 } })).rows.target).toBe(100)
      // capture() logs a drift event and fires alert rules.
      const fired: AlertEvent[] = []
      const tracking = Tracking.of(om)
      tracking.registerAlertAction('page', (e) => void fired.push(e))
      tracking.alert({ event: 'drift', action: 'page' })
      tracking.alert({ event: 'drift', action: 'not-registered' })
      await mon.capture()
      await tracking.alertsSettled()
      expect(fired).toHaveLength(1)
      expect(fired[0]).toMatchObject({ experiment: 'prod', event: 'drift', key: 'm', value: 1 })
      expect(tracking.alertFailures).toBe(1)
      const drift = await exp.data({ run: '*', event: 'drift' })
      expect(JSON.parse(drift.getChild('json')!.get(0) as string).columns.x1.drift).toBe(true)
    } finally {
      await om.close()
    }
  })

  it('a dataset monitor: snapshots (numeric and categorical, grouped), chi-square on categories, thresholds', async () => {
    const om = await Omega.open({ store: 'memory:', runtime: 'inline' })
    try {
      const r = rng(5)
      const day1 = { amount: Float64Array.from({ length: 400 }, () => r() * 100), city: Array.from({ length: 400 }, (_, i) => ['a', 'b', 'c'][i % 3]!) }
      const day2 = { amount: Float64Array.from({ length: 400 }, () => r() * 100), city: Array.from({ length: 400 }, (_, i) => (i % 2 ? 'a' : 'c')) }
      const records = (d: typeof day1) => d.city.map((city, i) => ({ amount: d.amount[i]!, city }))
      await om.datasets.put(records(day1), 'tx')
      await om.datasets.put(records(day2), 'tx')
      const mon = monitor(om, { dataset: 'tx' })
      const snap = await mon.snapshot('tx', { groupBy: 'city' })
      expect(snap.rows).toBe(400)
      expect(snap.columns.amount).toMatchObject({ type: 'numeric', count: 400, missing: 0 })
      expect(snap.columns.city).toEqual({ type: 'categorical', count: 400, missing: 0, counts: { c: 200, a: 200 } })
      expect(Object.keys(snap.groups!).sort()).toEqual(['a', 'c'])
      expect(snap.groups!.a!.amount!.count).toBe(200)
      const report = await mon.compare()
      expect(report.columns.city).toMatchObject({ test: 'chi2', drift: true })
      expect(report.columns.amount!.drift).toBe(false)
      expect((await mon.compare({ thresholds: { psi: 100 } })).drift).toBe(false)
      expect((await experiments(om, 'monitor/tx').data({ event: 'snapshot' })).numRows).toBe(1)
    } finally {
      await om.close()
    }
  })

  it('bad input: columns of different types, empty data, NaN counted as missing, unknown experiment', async () => {
    const om = await openWithModel({ store: 'memory:', runtime: 'inline' })
    try {
      await om.datasets.put(tableFromArrays({ a: Float64Array.from([1, 2, NaN, 4]) }), 'num')
      await om.datasets.put(['x', 'y', 'z', 'x'].map((a) => ({ a })), 'cat')
      const mon = monitor(om, { dataset: 'num' })
      await expect(mon.compare({ baseline: 'num', target: 'cat' })).rejects.toMatchObject({ code: 'E_DATA_SHAPE', message: expect.stringMatching(/numeric in the baseline but categorical/) })
      await expect(mon.compare({ baseline: 'num', target: [] })).rejects.toMatchObject({ code: 'E_DATA_SHAPE' })
      const empty = await mon.snapshot(tableFromArrays({ a: new Float64Array(0) }))
      expect(empty.columns.a).toMatchObject({ count: 0, missing: 0 })
      expect((empty.columns.a as { mean: number }).mean).toBeNaN()
      const withNaN = await mon.snapshot('num')
      expect(withNaN.columns.a).toMatchObject({ count: 3, missing: 1, mean: 7 / 3 })
      const report = await mon.compare({ baseline: 'num', target: 'num' })
      expect(report.columns.a).toMatchObject({ statistic: 0, pvalue: 1, baseline: { count: 3, missing: 1 } })
      await expect(monitor(om, 'm', { experiment: 'never' }).compare()).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
      expect(() => monitor(om, 'm')).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }))
    } finally {
      await om.close()
    }
  })
})
