import { readFileSync } from 'node:fs'
import { handlerSuite, fixturePath } from '@omega/conformance'
import { Tensor, artifactsOf } from '@omega/core'
import { OnnxHandler, OnnxModel } from '@omega/onnx'

const PLUGIN = new URL('../dist/index.js', import.meta.url).href
const bytes = (stem: string): Uint8Array => new Uint8Array(readFileSync(fixturePath(`onnx/${stem}.onnx`)))
const inputs = (stem: string): Record<string, number[][]> =>
  (JSON.parse(readFileSync(fixturePath(`onnx/${stem}.json`), 'utf8')) as { test: { inputs: Record<string, number[][]> } }).test.inputs

/** Predictions as plain arrays: what must survive the round trip. */
async function probe(stem: string, value: unknown): Promise<unknown> {
  const model = value instanceof OnnxModel ? value : undefined
  if (!model) return 'bytes'
  const x = inputs(stem)
  const out = await model.predict(Object.keys(x).length === 1 ? Object.values(x)[0] : x)
  if (out instanceof Tensor) return out.toArray()
  return Object.fromEntries(Object.entries(out as Record<string, { toArray(): unknown }>).map(([k, t]) => [k, t.toArray()]))
}

handlerSuite('onnx', new OnnxHandler(), {
  plugins: [PLUGIN],
  foreign: [{}, 'model.onnx', { path: 'data.csv' }, 42, [1, 2]],
  unsupportedX: [[5.1, 3.5, 1.4, 0.2]],
  fixtures: ['logreg_iris', 'mlp_breast_cancer', 'iris_two_inputs', 'linreg_wine_alcohol'].map((stem) => ({
    name: stem,
    // The handler takes bytes and gives an OnnxModel; the probe compares an OnnxModel's predictions
    // with those of a model built from the same bytes.
    value: async () => bytes(stem),
    probe: async (v: unknown) => {
      if (v instanceof OnnxModel) return await probe(stem, v)
      const handler = new OnnxHandler()
      const artifacts = await handler.serialize(v as Uint8Array, { name: stem, store: 'models', options: {} })
      const model = await handler.deserialize(artifactsOf(artifacts.kindMeta, { model: v as Uint8Array }), { name: stem, store: 'models', options: {} })
      try {
        return await probe(stem, model)
      } finally {
        await model.close()
      }
    },
  })),
  release: async (v) => {
    if (v instanceof OnnxModel) await v.close()
  },
})
