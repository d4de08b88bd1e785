// fit, partialFit, predict, predictProba and score by name, inline and on the worker pool.
import * as tf from '@tensorflow/tfjs'
import { Omega, Tensor, type JsonObject } from '@omega/core'
import { rejectsWith, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PLUGIN, POOL_PLUGIN, breastCancer, mlp } from './models.js'

// The same backend on this thread and in the workers (they inherit the environment), so results compare exactly.
process.env.OMEGA_TFJS_BACKEND = 'cpu'
const { X, y, records } = breastCancer()

describe.each(['inline', 'pool'] as const)('tfjs on the %s runtime', (runtime) => {
  let om: Omega
  beforeAll(async () => {
    om = await Omega.open({ store: new LevelBackend(tempDir('omega-tfjs-')), plugins: [PLUGIN, POOL_PLUGIN], runtime, threads: 2 })
    await om.datasets.put(records, 'bc')
  })
  afterAll(async () => {
    await om.close()
  })

  it('fit on a dataset by name stores a new version with the history per epoch in attributes.metrics', async () => {
    const model = mlp(tf)
    await om.models.put(model, 'mlp')
    model.dispose()
    // The top-level training options are shorthand for the same keys in params.
    const meta = await om.runtime.model('mlp').fit('bc[^target]', 'bc[target]', { epochs: 6, batchSize: 32, validationSplit: 0.2 })
    expect(meta.version).toBe(2)
    expect(meta.parent).toBe(1)
    expect(meta.attributes.dataset).toMatchObject({ Xname: 'bc[^target]', Yname: 'bc[target]', rows: 569, params: { epochs: 6, batchSize: 32, validationSplit: 0.2 } })
    const metrics = meta.attributes.metrics as { epochs: number; history: Record<string, number[]>; final: Record<string, number> }
    expect(metrics.epochs).toBe(6)
    expect(Object.keys(metrics.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss'])
    for (const series of Object.values(metrics.history)) expect(series).toHaveLength(6)
    expect(metrics.history.loss[5]!).toBeLessThan(metrics.history.loss[0]!)
    expect(metrics.final.acc).toBeGreaterThan(0.9)
    expect(meta.kindMeta.compiled).toBe(true)
  })

  it('fit reports every epoch through onProgress, also from a worker thread', async () => {
    const progress: { done: number; total?: number; message?: string }[] = []
    const meta = await om.runtime.model('mlp').fit(X, y, { params: { epochs: 4, batchSize: 128 }, onProgress: (p) => progress.push(p) })
    // Reports from a worker are coalesced (at most one per 50 ms); the last epoch always arrives.
    expect(progress.length).toBeGreaterThanOrEqual(runtime === 'inline' ? 4 : 1)
    expect(progress.at(-1)).toMatchObject({ done: 4, total: 4, message: expect.stringMatching(/^loss \d/) })
    expect(progress.map((p) => p.done)).toEqual([...progress.map((p) => p.done)].sort((a, b) => a - b))
    expect(progress.every((p) => p.total === 4)).toBe(true)
    expect(meta.version).toBe(3)
  })

  it('predict gives a Tensor equal to the stored model predicting directly; predictProba two columns; score is evaluate()', async () => {
    const p = await om.runtime.model('mlp').predict('bc[^target]')
    expect(p).toBeInstanceOf(Tensor)
    expect(p.shape).toEqual([569, 1])
    expect(p.dtype).toBe('float32')
    const direct = (await om.models.get('mlp')) as tf.LayersModel
    const want = tf.tidy(() => (direct.predict(tf.tensor2d(X)) as tf.Tensor).dataSync())
    expect(p.data).toEqual(want)
    const proba = await om.runtime.model('mlp').predictProba(X.slice(0, 3))
    expect(proba.shape).toEqual([3, 2])
    const rows = proba.toArray() as number[][]
    rows.forEach((r, i) => {
      expect(r[1]).toBe(want[i])
      expect(r[0]! + r[1]!).toBeCloseTo(1, 6)
    })
    const [loss, acc] = tf.tidy(() => (direct.evaluate(tf.tensor2d(X), tf.tensor2d(y, [y.length, 1])) as tf.Scalar[]).map((t) => t.dataSync()[0]!))
    expect(await om.runtime.model('mlp').score('bc[^target]', 'bc[target]')).toBe(loss)
    expect(await om.runtime.model('mlp').score(X, y, { params: { metric: 'acc' } })).toBe(acc)
    direct.dispose()
  })

  it('partialFit makes one pass over a batch, or one per chunk of #iterchunks, and stores one version', async () => {
    const before = await om.models.metadata('mlp')
    const one = await om.runtime.model('mlp').partialFit(X.slice(0, 100), y.slice(0, 100), { params: { batchSize: 50 } })
    expect(one.version).toBe(before!.version! + 1)
    expect(one.attributes.metrics).toMatchObject({ epochs: 1, history: { loss: [expect.any(Number)] } })
    const progress: number[] = []
    const chunked = await om.runtime.model('mlp').partialFit('bc[^target]#iterchunks:chunksize=200', 'bc[target]#iterchunks:chunksize=200', { onProgress: (p) => progress.push(p.done) })
    expect(chunked.version).toBe(one.version! + 1)
    expect(chunked.attributes.dataset).toMatchObject({ rows: 569, chunks: 3, op: 'partialFit' })
    expect(progress).toEqual([1, 2, 3])
  })

  it('an uncompiled model: fit is E_INVALID_ARGUMENT saying to compile, unless params.compile compiles it', async () => {
    const model = mlp(tf, false)
    await om.models.put(model, 'raw')
    model.dispose()
    const err = await rejectsWith(om.runtime.model('raw').fit('bc[^target]', 'bc[target]'), 'E_INVALID_ARGUMENT')
    expect(err.message).toContain('compile')
    await rejectsWith(om.runtime.model('raw').score(X, y), 'E_INVALID_ARGUMENT')
    await rejectsWith(om.runtime.model('raw').fit('bc[^target]', 'bc[target]', { params: { compile: { optimizer: 'nope', loss: 'mse' } } }), 'E_INVALID_ARGUMENT')
    await rejectsWith(om.runtime.model('raw').fit('bc[^target]', 'bc[target]', { params: { epoch: 3 } }), 'E_INVALID_ARGUMENT')
    expect((await om.models.revisions('raw')).length).toBe(1)
    const compile = { optimizer: 'adam', learningRate: 0.01, loss: 'binaryCrossentropy', metrics: ['accuracy'] }
    const meta = await om.runtime.model('raw').fit('bc[^target]', 'bc[target]', { params: { epochs: 3, compile } })
    expect(meta.kindMeta).toMatchObject({ compiled: true, trainingConfig: { loss: 'binary_crossentropy', optimizer_config: { class_name: 'Adam', config: { learningRate: 0.01 } } } })
    expect((meta.attributes.metrics as JsonObject).epochs).toBe(3)
  })

  it('a wrong input width is E_DATA_SHAPE, before and after a fit recorded the features; nothing is stored', async () => {
    const model = mlp(tf)
    await om.models.put(model, 'width')
    model.dispose()
    const err = await rejectsWith(om.runtime.model('width').predict([[1, 2, 3]]), 'E_DATA_SHAPE')
    expect(err.message).toContain('30')
    await rejectsWith(om.runtime.model('width').fit([[1, 2, 3]], [1]), 'E_DATA_SHAPE')
    await rejectsWith(om.runtime.model('mlp').predict([[1, 2, 3]]), 'E_DATA_SHAPE')
    expect((await om.models.revisions('width')).length).toBe(1)
  })

  it('a NaN loss is reported in the history, not hidden', async () => {
    const model = mlp(tf)
    await om.models.put(model, 'nan')
    model.dispose()
    const bad = X.slice(0, 64).map((r, i) => (i === 3 ? r.map(() => Number.NaN) : r))
    const meta = await om.runtime.model('nan').fit(new Tensor('float64', [64, 30], Float64Array.from(bad.flat())), y.slice(0, 64), { params: { epochs: 2, batchSize: 64 } })
    const metrics = meta.attributes.metrics as { history: { loss: unknown[] }; nonFinite: Record<string, number> }
    expect(metrics.history.loss).toEqual(['NaN', 'NaN'])
    expect(metrics.nonFinite).toMatchObject({ loss: 1 })
  })
})

describe('tfjs: no tensor leaks', () => {
  it('tf.memory().numTensors is the same before and after 100 predicts, a fit and a score (inline)', async () => {
    const om = await Omega.open({ store: 'memory:', plugins: [PLUGIN], runtime: 'inline' })
    try {
      const model = mlp(tf)
      await om.models.put(model, 'm')
      model.dispose()
      const proxy = om.runtime.model('m')
      await proxy.predict(X.slice(0, 10)) // loads the model into the cache once
      const before = tf.memory().numTensors
      for (let i = 0; i < 100; i++) await proxy.predict(X.slice(0, 50))
      for (let i = 0; i < 10; i++) await proxy.predictProba(X.slice(0, 50))
      await proxy.score(X, y)
      expect(tf.memory().numTensors).toBe(before)
      // A fit loads, trains and stores a copy, then frees it.
      await proxy.fit(X, y, { params: { epochs: 2 } })
      expect(tf.memory().numTensors).toBe(before)
    } finally {
      await om.close()
    }
  })
})
