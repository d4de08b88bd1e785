import { readFileSync } from 'node:fs'
import { MemoryBackend, Omega, Tensor, type JsonObject } from '@omega/core'
import { fixturePath, rejectsWith } from '@omega/conformance'
import { OnnxModel } from '@omega/onnx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ONNX_PLUGIN = new URL('../dist/index.js', import.meta.url).href
let raw: MemoryBackend
let om: Omega

beforeAll(async () => {
  raw = new MemoryBackend()
  om = await Omega.open({ store: raw, plugins: [ONNX_PLUGIN], runtime: 'inline' })
})
afterAll(async () => {
  await om.close()
})

/** Rewrites the kindMeta of `name@1`, as a hostile writer of the store could. */
async function editKindMeta(name: string, edit: (k: JsonObject) => JsonObject): Promise<void> {
  for await (const d of raw.meta.list(`default/models/${name}/@`)) {
    if (!d.doc.parts) continue
    await raw.meta.put(d.key, { ...d.doc, kindMeta: edit(d.doc.kindMeta as JsonObject) }, { ifRevision: d.revision })
  }
}

describe('onnx: hostile stored metadata', () => {
  it('inputs and outputs come from the graph, not from stored JSON; bad session options or column maps are E_MODEL_LOAD', async () => {
    const bytes = readFileSync(fixturePath('onnx/logreg_iris.onnx'))
    const cases: [string, (k: JsonObject) => JsonObject, boolean][] = [
      ['fake-io', (k) => ({ ...k, inputs: [{ name: 'x', type: 'float32', shape: [1e9, 1e9] }], outputs: 7 }), true],
      ['threads', (k) => ({ ...k, sessionOptions: { intraOpNumThreads: 1e9 } }), false],
      ['options', (k) => ({ ...k, sessionOptions: 'all' }), false],
      ['level', (k) => ({ ...k, sessionOptions: { graphOptimizationLevel: { x: 1 } } }), false],
      ['columns', (k) => ({ ...k, inputColumns: { nope: ['a'] } }), false],
      ['features', (k) => ({ ...k, featureNames: [1, 2] }), false],
    ]
    for (const [name, edit, loads] of cases) {
      const meta = await om.models.put(bytes, name)
      await editKindMeta(name, edit)
      if (loads) {
        const model = (await om.models.get(`${name}@1`)) as OnnxModel
        expect(model.inputs).toEqual(meta.kindMeta.inputs)
        expect(model.outputs).toEqual(meta.kindMeta.outputs)
        const out = await model.predict(new Tensor('float32', [1, 4], Float32Array.of(5.1, 3.5, 1.4, 0.2)))
        expect(out).toBeDefined()
        await model.close()
      } else {
        const err = await rejectsWith(om.models.get(`${name}@1`), 'E_MODEL_LOAD')
        expect(err.message).toContain(`"${name}"`)
      }
    }
  })
})
