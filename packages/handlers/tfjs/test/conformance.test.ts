import * as tf from '@tensorflow/tfjs'
import { handlerSuite } from '@omega/conformance'
import { TfjsLayersHandler } from '@omega/tfjs'
import { PLUGIN, breastCancer, mlp, twoInputs } from './models.js'

process.env.OMEGA_TFJS_BACKEND = 'cpu'
const { X } = breastCancer()

/** Predictions as plain numbers: what must survive the round trip bit for bit. */
function probe(value: unknown): unknown {
  const model = value as tf.LayersModel
  return tf.tidy(() => {
    const out = model.inputs.length === 1 ? model.predict(tf.tensor2d(X.slice(0, 20))) : model.predict([tf.ones([4, 10]), tf.ones([4, 20])])
    return (Array.isArray(out) ? out : [out]).map((t) => Array.from(t.dataSync()))
  })
}

handlerSuite('tfjs', new TfjsLayersHandler(), {
  plugins: [PLUGIN],
  foreign: [{}, new Uint8Array(4), { predict: () => 1, save: () => 1 }, 42, [1, 2], tf.tensor([1])],
  fixtures: [
    { name: 'sequential, uncompiled', value: () => mlp(tf, false), probe },
    { name: 'sequential, compiled', value: () => mlp(tf), probe },
    { name: 'functional, two inputs and two outputs', value: () => twoInputs(tf), probe },
  ],
  release: async (v) => {
    ;(v as tf.LayersModel).dispose()
  },
})
