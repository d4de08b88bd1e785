import { OmegaError } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { Omega } from '@omega/core'
import { tableFromArrays } from 'apache-arrow'
import { experiments } from '../dist/index.js'

async function open(): Promise<Omega> {
  return await Omega.open({ store: 'memory:', runtime: 'inline' })
}

describe('experiments', () => {
  it('numbers runs 1, 2, 3 and logs start, params, metrics and stop in batches to a hidden dataset', async () => {
    const om = await open()
    try {
      const exp = experiments(om, 'churn')
      for (let r = 0; r < 3; r++) {
        await exp.run(async (run) => {
          run.logParam('depth', 4 + r)
          for (let step = 1; step <= 3; step++) run.logMetric('acc', 0.9 + r / 100 + step / 1000, { step })
        })
      }
      const latest = await exp.data()
      expect([...new Set(latest.getChild('run')!.toArray())]).toEqual([3])
      expect(latest.getChild('event')!.toArray()).toEqual(['start', 'param', 'metric', 'metric', 'metric', 'stop'])
      const metrics = await exp.data({ run: '*', event: 'metric' })
      expect(metrics.numRows).toBe(9)
      expect(metrics.getChild('step')!.toArray()).toEqual(Int32Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3]))
      expect((await exp.data({ run: -2, event: 'param' })).getChild('value')!.get(0)).toBe(5)
      expect((await exp.data({ run: [1, 3], event: 'param' })).numRows).toBe(2)
      expect((await exp.data({ run: '*', since: '1h' })).numRows).toBe(18)
      expect((await exp.data({ run: '*', end: new Date(0) })).numRows).toBe(0)
      const dts = (await exp.data({ run: '*' })).getChild('dt')!.toArray() as unknown as number[]
      expect([...dts]).toEqual([...dts].sort((a, b) => Number(a) - Number(b)))
      const summary = await exp.summary()
      expect(summary.runs).toEqual([1, 2, 3])
      expect(summary.counts).toMatchObject({ start: 3, stop: 3, param: 3, metric: 9 })
      expect(summary.metrics[2]!.acc).toMatchObject({ count: 3, min: 0.911, max: 0.913, last: 0.913 })
      expect(summary.metrics[2]!.acc!.mean).toBeCloseTo(0.912, 12)
      // Hidden: not in a plain listing; every flush is an append (a new version), retention keeps two.
      expect(await om.datasets.list()).toEqual([])
      expect(await om.datasets.list(undefined, { hidden: true })).toContain('.experiments/churn')
      expect((await om.datasets.metadata('.experiments/churn'))!.version).toBeGreaterThanOrEqual(3)
      expect((await om.datasets.revisions('.experiments/churn')).length).toBeLessThanOrEqual(2)
      expect(exp.captureStats).toMatchObject({ written: 18, lost: 0, failedWrites: 0 })
    } finally {
      await om.close()
    }
  })

  it('start/stop explicitly; a failing run logs stop with the error; logSystem, logEvent, logArtifact', async () => {
    const om = await open()
    try {
      const exp = experiments(om, 'e')
      const run = await exp.start()
      expect(run.number).toBe(1)
      exp.logSystem({ '@omega/tracking': '0.1.0' })
      exp.logEvent('note', 'hello', { a: 1 })
      expect(await run.logArtifact({ threshold: 0.5 }, 'config')).toEqual({ store: 'inline' })
      const table = tableFromArrays({ a: Float64Array.from([1, 2]) })
      expect(await run.logArtifact(table, 'sample')).toMatchObject({ store: 'datasets', name: '.experiments/e/run-1/sample' })
      await exp.stop()
      expect(() => run.logMetric('x', 1)).toThrow(/stopped/)
      await expect(exp.run(async () => { throw new Error('boom') })).rejects.toThrow('boom')
      const events = await exp.data({ run: '*' })
      const json = events.getChild('json')!.toArray() as (string | null)[]
      const kinds = events.getChild('event')!.toArray() as string[]
      expect(kinds).toEqual(['start', 'system', 'note', 'artifact', 'artifact', 'stop', 'start', 'stop'])
      expect(JSON.parse(json[1]!)).toMatchObject({ node: process.version, platform: process.platform, packages: { '@omega/core': expect.any(String), '@omega/tracking': '0.1.0' } })
      expect(JSON.parse(json[3]!)).toEqual({ store: 'inline', value: { threshold: 0.5 } })
      expect(JSON.parse(json[7]!)).toEqual({ status: 'failed', error: 'boom' })
      expect(((await om.datasets.get('.experiments/e/run-1/sample')) as typeof table).numRows).toBe(2)
    } finally {
      await om.close()
    }
  })

  it('bad input: logging with no run, unknown experiment, bad run and time arguments', async () => {
    const om = await open()
    try {
      const exp = experiments(om, 'x')
      const noRun = (() => { try { exp.logMetric('acc', 1) } catch (e) { return e } })() as OmegaError
      expect(noRun.code).toBe('E_INVALID_ARGUMENT')
      expect(noRun.message).toMatch(/start one with exp\.start\(\) or exp\.run/)
      await expect(experiments(om, 'nope').data()).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
      await expect(experiments(om, 'nope').restoreData('X')).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
      await exp.run((run) => run.logMetric('a', 1))
      await expect(exp.data({ run: 0 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
      await expect(exp.data({ since: 'yesterday-ish' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
      await expect(exp.run((run) => run.logMetric('a', 'x' as unknown as number))).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
      expect(() => experiments(om, 'bad//name')).toThrow(expect.objectContaining({ code: 'E_INVALID_NAME' }))
    } finally {
      await om.close()
    }
  })
})
