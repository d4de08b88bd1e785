// A CommonJS application: requires @omega/omega, @omega/tfjs and tfjs's CommonJS build; its model is
// stored, got back, and fed by the app's own tfjs.
const tf = require('@tensorflow/tfjs')
const { Omega } = require('@omega/omega')
const { isLayersModel } = require('@omega/tfjs')

async function main() {
  const om = await Omega.open({ store: 'memory:', runtime: 'inline' })
  try {
    const net = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] })
    const meta = await om.models.put(net, 'cjs-net')
    const back = await om.models.get('cjs-net')
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]])
    const a = Array.from(net.predict(x).dataSync())
    const b = Array.from(back.predict(x).dataSync())
    console.log(JSON.stringify({ kind: meta.kind, recognised: isLayersModel(net), same: a.every((v, i) => v === b[i]) }))
  } finally {
    await om.close()
  }
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
