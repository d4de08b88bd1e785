// TensorFlow.js: build a small network, put it unfitted, fit it on the worker pool on a dataset by
// name, predict, score, and continue training chunk by chunk.
// Run: npx -y pnpm@10.34.9 example examples/tfjs.ts
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { Omega, tableFromArrays, type Table, type Tensor } from '@omega/omega'
import { tfjsBackend } from '@omega/tfjs'

const fixture = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url))
const om = await Omega.open()

// The breast-cancer data, each feature standardised (networks train poorly on raw scales).
await om.datasets.readCsv(fixture('datasets/breast_cancer.csv'), 'cancer', { types: { target: 'int32' } })
const raw = (await om.datasets.get('cancer')) as Table
const features = raw.schema.fields.map((f) => f.name).filter((n) => n !== 'target')
const standardised = Object.fromEntries(
  features.map((name) => {
    const v = Float64Array.from(raw.getChild(name)!.toArray() as ArrayLike<number>)
    const mean = v.reduce((a, b) => a + b, 0) / v.length
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length)
    return [name, v.map((x) => (x - mean) / sd)]
  }),
)
await om.datasets.put(tableFromArrays({ ...standardised, target: raw.getChild('target')!.toArray() as Int32Array }), 'cancer-std')

// A 30 → 16 → 8 → 1 network, compiled but not trained, stored as topology + weights.
const net = tf.sequential({
  layers: [
    tf.layers.dense({ units: 16, inputShape: [30], activation: 'relu' }),
    tf.layers.dense({ units: 8, activation: 'relu' }),
    tf.layers.dense({ units: 1, activation: 'sigmoid' }),
  ],
})
net.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] })
const put = await om.models.put(net, 'cancer-net')
console.log(`cancer-net@${put.version}: ${put.kind}, compiled ${String(put.kindMeta.compiled)}, ${put.size} weight bytes`)

// fit runs in a worker thread and stores version 2 with the history per epoch.
const fitted = await om.runtime.model('cancer-net').fit('cancer-std[^target]', 'cancer-std[target]', {
  params: { epochs: 20, batchSize: 32, validationSplit: 0.2 },
})
const { history, backend } = fitted.attributes.metrics as { history: Record<string, number[]>; backend: string }
const at = (k: string, i: number): string => history[k]!.at(i)!.toFixed(3)
console.log(`fitted cancer-net@${fitted.version} on the pool (${backend}): loss ${at('loss', 0)} -> ${at('loss', -1)}, val_acc ${at('val_acc', -1)} after ${history.loss!.length} epochs`)

// predict gives the sigmoid output per row; a probability over 0.5 is class 1.
const p = await om.runtime.model('cancer-net').predict<Tensor>('cancer-std[^target]')
const truth = raw.getChild('target')!.toArray() as Int32Array
const correct = Array.from(p.data as Float32Array).filter((v, i) => (v > 0.5 ? 1 : 0) === truth[i]).length
console.log(`predicted ${p.shape[0]} rows; accuracy vs target: ${(correct / truth.length).toFixed(3)}`)
console.log(`score (evaluate loss): ${(await om.runtime.model('cancer-net').score('cancer-std[^target]', 'cancer-std[target]')).toFixed(4)}`)

// get returns a tf.LayersModel, compiled, that predicts exactly as the runtime did.
const model = (await om.models.get('cancer-net')) as tf.LayersModel
const first = tf.tidy(() => (model.predict(tf.tensor2d([features.map((n) => standardised[n]![0]!)])) as tf.Tensor).dataSync()[0])
// Bit for bit on the same backend; cpu and wasm round differently in the last digits.
const same = (await tfjsBackend()) === backend ? first === (p.data as Float32Array)[0] : Math.abs(first! - (p.data as Float32Array)[0]!) < 1e-5
console.log(`row 0 in-process on ${await tfjsBackend()}: ${same ? 'the same' : 'a different'} probability as on the pool`)
model.dispose()

// partialFit: one more pass, chunk by chunk, as a third version.
const more = await om.runtime.model('cancer-net').partialFit('cancer-std[^target]#iterchunks:chunksize=200', 'cancer-std[target]#iterchunks:chunksize=200')
console.log(`partialFit over ${String((more.attributes.dataset as { chunks: number }).chunks)} chunks -> cancer-net@${more.version}`)

try {
  await om.runtime.model('cancer-net').predict([[1, 2, 3]])
} catch (err) {
  console.log(`predict 3 features -> ${(err as { code: string }).code}`)
}
await om.close()
