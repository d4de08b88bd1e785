// Put and get of layers models: what is stored, bit-identical predictions, training state kept,
// models of another tfjs module instance, and damaged stored models.
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'
import { MemoryBackend, Omega, type JsonObject } from '@omega/core'
import { rejectsWith } from '@omega/conformance'
import { isLayersModel, tfjsBackend } from '@omega/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PLUGIN, breastCancer, mlp, twoInputs, weightsOf } from './models.js'

process.env.OMEGA_TFJS_BACKEND = 'cpu'
const { X, y } = breastCancer()
let raw: MemoryBackend
let om: Omega

beforeAll(async () => {
  raw = new MemoryBackend()
  om = await Omega.open({ store: raw, plugins: [PLUGIN], runtime: 'inline' })
})
afterAll(async () => {
  await om.close()
})

const predictions = (model: tf.LayersModel, rows = X): Float32Array => tf.tidy(() => (model.predict(tf.tensor2d(rows)) as tf.Tensor).dataSync() as Float32Array)

/**
 * A second module instance of tfjs, as a CommonJS app whose tfjs is another copy gets: every
 * @tensorflow module is loaded afresh (the engine and kernels are process-wide in tfjs, the classes are not).
 */
function otherTfjs(): typeof tf {
  const require = createRequire(import.meta.url)
  const saved = Object.keys(require.cache).filter((k) => k.includes('@tensorflow'))
  const entries = saved.map((k) => [k, require.cache[k]] as const)
  for (const k of saved) delete require.cache[k]
  // A second copy re-registers every kernel and says so once per kernel: expected here, so muted.
  const warn = console.warn
  console.warn = () => undefined
  try {
    return require('@tensorflow/tfjs') as typeof tf
  } finally {
    console.warn = warn
    for (const k of Object.keys(require.cache).filter((k) => k.includes('@tensorflow'))) delete require.cache[k]
    for (const [k, v] of entries) require.cache[k] = v
  }
}

describe('tfjs: put and get', () => {
  it('stores topology, weight specs and training config as kindMeta and the weights as one part; get predicts bit for bit', async () => {
    const model = mlp(tf)
    const meta = await om.models.put(model, 'mlp')
    expect(meta.kind).toBe('tfjs.layers')
    expect(meta.kindMeta).toMatchObject({
      format: 'layers-model',
      className: 'Sequential',
      compiled: true,
      inputs: [{ shape: [null, 30], dtype: 'float32' }],
      outputs: [{ shape: [null, 1], dtype: 'float32' }],
      trainingConfig: { loss: 'binary_crossentropy', metrics: ['accuracy'], optimizer_config: { class_name: 'Adam' } },
    })
    expect((meta.kindMeta.modelTopology as JsonObject).class_name).toBe('Sequential')
    const specs = meta.kindMeta.weightSpecs as { name: string; shape: number[] }[]
    expect(specs.slice(0, 6).map((s) => s.shape)).toEqual([[30, 16], [16], [16, 8], [8], [8, 1], [1]])
    expect(meta.size).toBe(specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0))
    const back = (await om.models.get('mlp')) as tf.LayersModel
    expect(back.optimizer).toBeTruthy()
    expect(predictions(back)).toEqual(predictions(model))
    expect(await tfjsBackend()).toBe('cpu')
    back.dispose()
    model.dispose()
  })

  it('a compiled, fitted model comes back with its optimizer state: one more epoch continues as the original does', async () => {
    const model = mlp(tf)
    const xs = tf.tensor2d(X)
    const ys = tf.tensor2d(y, [y.length, 1])
    const args = { epochs: 2, batchSize: 64, shuffle: false, verbose: 0 as const }
    await model.fit(xs, ys, args)
    await om.models.put(model, 'fitted')
    const back = (await om.models.get('fitted')) as tf.LayersModel
    expect(predictions(back)).toEqual(predictions(model))
    // The same weights with a fresh optimizer: what a store that lost the Adam moments would give.
    const fresh = (await om.models.get('fitted')) as tf.LayersModel
    fresh.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' })
    for (const m of [model, back, fresh]) await m.fit(xs, ys, { ...args, epochs: 1 })
    const want = weightsOf(model)
    // Adam's beta powers are recomputed as pow(beta, t) on load: equal to float32 rounding.
    const gap = (w: number[]): number => Math.max(...w.map((v, i) => Math.abs(v - want[i]!)))
    expect(gap(weightsOf(back))).toBeLessThan(1e-5)
    expect(gap(weightsOf(fresh))).toBeGreaterThan(1e-3)
    tf.dispose([xs, ys])
    for (const m of [model, back, fresh]) m.dispose()
  })

  it('an uncompiled model comes back uncompiled; a functional model with two inputs and outputs keeps its names', async () => {
    const plain = mlp(tf, false)
    expect((await om.models.put(plain, 'plain')).kindMeta.compiled).toBe(false)
    const back = (await om.models.get('plain')) as tf.LayersModel
    expect(back.optimizer == null).toBe(true)
    expect(predictions(back)).toEqual(predictions(plain))
    const two = twoInputs(tf)
    const meta = await om.models.put(two, 'two')
    expect(meta.kindMeta).toMatchObject({ className: 'Model', inputs: [{ name: 'a' }, { name: 'b' }], outputs: [{ name: 'p' }, { name: 'r' }] })
    const two2 = (await om.models.get('two')) as tf.LayersModel
    expect(two2.inputNames).toEqual(['a', 'b'])
    tf.dispose([back, plain, two, two2] as never)
  })

  it('a model built by another tfjs module instance is recognised by shape, stored, and the model got back works with that instance', async () => {
    const other = otherTfjs()
    expect(other.sequential).not.toBe(tf.sequential)
    const model = mlp(other)
    expect(model instanceof tf.LayersModel).toBe(false)
    expect(isLayersModel(model)).toBe(true)
    await om.models.put(model, 'foreign')
    const back = (await om.models.get('foreign')) as tf.LayersModel
    const theirs = other.tidy(() => Array.from((model.predict(other.tensor2d(X)) as tf.Tensor).dataSync()))
    // The caller's tfjs feeds the returned model and computes on its output.
    const ours = other.tidy(() => Array.from(other.mul(back.predict(other.tensor2d(X)) as tf.Tensor, 1).dataSync()))
    expect(ours).toEqual(theirs)
    model.dispose()
    back.dispose()
  })
})

describe('tfjs: damaged stored models', () => {
  async function docs(name: string): Promise<{ key: string; doc: JsonObject; revision: string }[]> {
    const out = []
    for await (const d of raw.meta.list(`default/models/${name}/@`)) if (d.doc.parts) out.push(d as { key: string; doc: JsonObject; revision: string })
    return out
  }

  it('corrupt weight bytes are E_INTEGRITY, on get and on the runtime; nothing is loaded', async () => {
    const model = mlp(tf)
    await om.models.put(model, 'corrupt')
    const [d] = await docs('corrupt')
    const sha = ((d!.doc.parts as JsonObject).weights as { sha256: string }).sha256
    const blob = raw.data.blobs.get(sha)!
    blob[blob.length - 1]! ^= 0xff
    await rejectsWith(om.models.get('corrupt'), 'E_INTEGRITY')
    await rejectsWith(om.runtime.model('corrupt').predict(X.slice(0, 2)), 'E_INTEGRITY')
    model.dispose()
  })

  it('metadata that does not describe the stored weights, or names an unknown layer, is E_MODEL_LOAD naming the model', async () => {
    const model = mlp(tf)
    const edits: [string, (k: JsonObject) => JsonObject][] = [
      ['specs-size', (k) => ({ ...k, weightSpecs: (k.weightSpecs as JsonObject[]).map((s, i) => (i === 0 ? { ...s, shape: [30, 17] } : s)) })],
      ['specs-huge', (k) => ({ ...k, weightSpecs: [{ name: 'w', shape: [1e9, 1e9], dtype: 'float32' }] })],
      ['specs-type', (k) => ({ ...k, weightSpecs: 'all' })],
      ['topology', (k) => ({ ...k, modelTopology: 7 })],
      ['layer', (k) => ({ ...k, modelTopology: JSON.parse(JSON.stringify(k.modelTopology).replaceAll('"Dense"', '"Evil"')) })],
      ['shapes', (k) => ({ ...k, modelTopology: JSON.parse(JSON.stringify(k.modelTopology).replace('"units":16', '"units":15')) })],
    ]
    for (const [name, edit] of edits) {
      await om.models.put(model, name)
      for (const d of await docs(name)) await raw.meta.put(d.key, { ...d.doc, kindMeta: edit(d.doc.kindMeta as JsonObject) }, { ifRevision: d.revision })
      const err = await rejectsWith(om.models.get(name), 'E_MODEL_LOAD')
      expect(err.message, name).toContain(`"${name}"`)
      if (name === 'layer') expect(err.message).toContain('registerClass')
    }
    model.dispose()
  })
})
