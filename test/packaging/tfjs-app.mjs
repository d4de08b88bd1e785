// An application that added @omega/tfjs and @tensorflow/tfjs (no wasm, no tfjs-node): a network is
// put unfitted, fitted on the worker pool by dataset name, predicted, and got back. argv: <rows as JSON> <labels as JSON>.
import * as tf from '@tensorflow/tfjs'
import { Omega } from '@omega/omega'
import { tfjsBackend } from '@omega/tfjs'

const [rowsJson, labelsJson] = process.argv.slice(2)
const X = JSON.parse(rowsJson)
const y = JSON.parse(labelsJson)
const om = await Omega.open({ store: 'memory:' })
try {
  const backend = await tfjsBackend()
  await om.datasets.put(X.map((r, i) => ({ a: r[0], b: r[1], c: r[2], d: r[3], y: y[i] })), 'train')
  const net = tf.sequential({ layers: [tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }), tf.layers.dense({ units: 1, activation: 'sigmoid' })] })
  net.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] })
  const put = await om.models.put(net, 'net')
  const epochs = []
  const fitted = await om.runtime.model('net').fit('train[^y]', 'train[y]', { params: { epochs: 5, batchSize: 8 }, onProgress: (p) => epochs.push(p.done) })
  const pooled = await om.runtime.model('net').predict(X)
  const model = await om.models.get('net')
  const direct = model.predict(tf.tensor2d(X)).dataSync()
  console.log(JSON.stringify({
    backend,
    kind: put.kind,
    version: fitted.version,
    trainedOn: fitted.attributes.metrics.backend,
    losses: fitted.attributes.metrics.history.loss.length,
    lastEpoch: epochs.at(-1),
    shape: pooled.shape,
    same: Array.from(pooled.data).every((v, i) => v === direct[i]),
    compiled: model.optimizer != null,
  }))
} finally {
  await om.close()
}
