import { spawn } from 'node:child_process'
import { Table, tableFromArrays } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { Omega, type Tensor } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { experiments, Tracking } from '../dist/index.js'
import { FS, MLJS, POOL, features, openWithModel } from './helpers.js'

const rowsOf = (t: Table, col: string): number[] => [...(t.getChild(col)!.toArray() as Float64Array)]

for (const mode of ['inline', 'pool'] as const) {
  describe(`tracking a model (${mode} runtime)`, () => {
    const open = () =>
      openWithModel(mode === 'inline' ? { store: 'memory:', runtime: 'inline' } : { store: `fs:${tempDir('omega-track-')}`, runtime: 'pool', threads: 1, plugins: [FS, POOL] })

    it('logs task_call/task_success with durations and captures exactly the X given and the Y returned', async () => {
      const om = await open()
      try {
        const exp = experiments(om, 'prod')
        await exp.track('m', { capture: true })
        const a = features(5, 2)
        const b = features(3, 3, 1)
        const preds: number[] = []
        await exp.run(async () => {
          preds.push(...((await om.runtime.model('m').predict<Tensor>(tableFromArrays({ x1: a.x1, x2: a.x2, x3: a.x3 }))).toArray() as number[]))
          preds.push(...((await om.runtime.model('m').predict<Tensor>([...b.x1].map((v, i) => [v, b.x2[i]!, b.x3[i]!]))).toArray() as number[]))
          preds.push(...((await om.runtime.model('m').predict<Tensor>('train[^y]#rows:start=0,end=2')).toArray() as number[]))
        })
        const X = await exp.restoreData('X', { run: '*' })
        expect(X.schema.fields.map((f) => f.name)).toEqual(['x1', 'x2', 'x3'])
        const train = (await om.datasets.get('train')) as Table
        expect(rowsOf(X, 'x1')).toEqual([...a.x1, ...b.x1, ...rowsOf(train, 'x1').slice(0, 2)])
        expect(rowsOf(X, 'x3')).toEqual([...a.x3, ...b.x3, ...rowsOf(train, 'x3').slice(0, 2)])
        const Y = await exp.restoreData('Y', { run: -1 })
        expect(rowsOf(Y, 'y')).toEqual(preds)
        const calls = await exp.data({ event: ['task_call', 'task_success'] })
        expect(calls.getChild('event')!.toArray()).toEqual(['task_call', 'task_success', 'task_call', 'task_success', 'task_call', 'task_success'])
        const durations = (await exp.data({ event: 'task_success' })).getChild('value')!.toArray() as Float64Array
        expect([...durations].every((d) => d > 0)).toBe(true)
        const byName = JSON.parse((await exp.data({ event: 'predict' })).getChild('json')!.get(2) as string) as { X: { name: string; version: number } }
        expect(byName.X).toEqual({ name: 'train[^y]#rows:start=0,end=2', version: 1 })
        const summary = await exp.summary()
        expect(summary.latency['m predict']).toMatchObject({ count: 3, failures: 0 })
        expect(summary.latency['m predict']!.p50).toBeGreaterThan(0)
      } finally {
        await om.close()
      }
    }, 60_000)

    it('logs task_failure with the error and still fails the call; NaN inputs are kept', async () => {
      const om = await open()
      try {
        const exp = experiments(om, 'prod')
        await exp.track('m', { capture: true })
        await exp.run(async () => {
          await expect(om.runtime.model('m').predict([[1, 2]])).rejects.toMatchObject({ code: 'E_DATA_SHAPE' })
          await om.runtime.model('m').predict(tableFromArrays({ x1: Float64Array.from([NaN, 0.5]), x2: Float64Array.from([0.1, 0.2]), x3: Float64Array.from([0.3, 0.4]) }))
        })
        // A shape error is found before dispatch: no task ran, nothing to log for it.
        const X = await exp.restoreData('X')
        expect(rowsOf(X, 'x1')[0]).toBeNaN()
        expect(X.numRows).toBe(2)
      } finally {
        await om.close()
      }
    }, 60_000)
  })
}

describe('tracking edge cases', () => {
  it('a task that fails in the runtime is logged as task_failure; untracked calls log nothing', async () => {
    const om = await openWithModel({ store: 'memory:', runtime: 'inline' })
    try {
      const exp = experiments(om, 'f')
      await om.models.put(new (await import('@omega/mljs')).DecisionTreeRegression(), 'unfitted')
      await exp.track('unfitted')
      await exp.run(async () => {
        await expect(om.runtime.model('unfitted').predict([[1, 2, 3]])).rejects.toBeTruthy()
        await om.runtime.model('m').predict([[1, 2, 3]])
      })
      const failures = await exp.data({ event: 'task_failure' })
      expect(failures.numRows).toBe(1)
      expect(JSON.parse(failures.getChild('json')!.get(0) as string)).toMatchObject({ model: 'unfitted@1' })
      expect((await exp.data({ event: 'task_call' })).numRows).toBe(1)
      expect((await exp.data({ event: 'predict' })).numRows).toBe(0)
    } finally {
      await om.close()
    }
  })

  it('a capture write that fails never fails the prediction: it is counted and reported', async () => {
    const om = await openWithModel({ store: 'memory:', runtime: 'inline' })
    try {
      // Someone else's table sits where the events go: every append is refused (E_DATA_SHAPE).
      await om.datasets.put(tableFromArrays({ other: Float64Array.from([1]) }), '.experiments/broken')
      const exp = experiments(om, 'broken')
      await exp.track('m', { capture: true })
      const tracking = Tracking.of(om)
      for (let i = 0; i < 5; i++) expect(((await om.runtime.model('m').predict<Tensor>([[0.1, 0.2, 0.3]])).toArray() as number[]).length).toBe(1)
      await tracking.flush()
      const stats = tracking.stats()
      expect(stats.lost).toBeGreaterThanOrEqual(15) // start + 5 × (task_call, task_success, predict)
      expect(stats.failedWrites).toBeGreaterThanOrEqual(1)
      expect(stats.lastError).toMatch(/cannot append/)
    } finally {
      await om.close()
    }
  })

  it('attributes.tracking at put tracks the model without exp.track; calls outside a run get a run of their own, stopped at close', async () => {
    const dir = tempDir('omega-attr-')
    const om = await openWithModel({ store: `fs:${dir}`, runtime: 'inline', plugins: [FS] })
    const model = await om.models.get('m')
    await om.models.put(model, 'm', { attributes: { tracking: { experiment: 'auto', capture: true } } })
    Tracking.of(om)
    await om.runtime.model('m').predict([[0.1, 0.2, 0.3]])
    await om.close()
    const again = await Omega.open({ store: `fs:${dir}`, runtime: 'inline', plugins: [FS, MLJS] })
    try {
      const events = await experiments(again, 'auto').data({ run: 1 })
      expect(events.getChild('event')!.toArray()).toEqual(['start', 'task_call', 'task_success', 'predict', 'stop'])
    } finally {
      await again.close()
    }
  })
})

describe('two processes', () => {
  it('two apps on one fs store tracking into one experiment lose no events and get distinct runs', async () => {
    const dir = tempDir('omega-2apps-')
    const om = await openWithModel({ store: `fs:${dir}`, runtime: 'inline', plugins: [FS] })
    await om.close()
    const script = `
      import { Omega } from ${JSON.stringify(new URL('../../core/dist/index.js', import.meta.url).href)}
      import { experiments } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}
      const om = await Omega.open({ store: process.argv[1], runtime: 'inline', plugins: ${JSON.stringify([FS, MLJS])} })
      const exp = experiments(om, 'shared')
      await exp.track('m', { capture: true })
      for (let r = 0; r < 3; r++) {
        await exp.run(async (run) => {
          for (let i = 0; i < 10; i++) { run.logMetric('i', i); await om.runtime.model('m').predict([[i / 10, 0.5, 0.5]]) }
        })
      }
      await om.close()
    `
    const app = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, `fs:${dir}`], { cwd: import.meta.dirname, stdio: ['ignore', 'inherit', 'inherit'] })
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`app exited with ${code}`))))
      })
    await Promise.all([app(), app()])
    const check = await Omega.open({ store: `fs:${dir}`, runtime: 'inline', plugins: [FS, MLJS] })
    try {
      const exp = experiments(check, 'shared')
      const all = await exp.data({ run: '*' })
      const summary = await exp.summary()
      expect(summary.runs).toEqual([1, 2, 3, 4, 5, 6])
      // Per run: start, stop, 10 metrics, 10 × (task_call, task_success, predict).
      expect(summary.counts).toEqual({ start: 6, stop: 6, metric: 60, task_call: 60, task_success: 60, predict: 60 })
      expect(all.numRows).toBe(6 * 42)
      expect((await exp.restoreData('X', { run: '*' })).numRows).toBe(60)
    } finally {
      await check.close()
    }
  }, 120_000)
})
