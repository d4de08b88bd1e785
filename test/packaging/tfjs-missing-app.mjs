// @omega/omega without @omega/tfjs: something shaped like a TensorFlow.js model is refused with the package to install.
import { Omega } from '@omega/omega'

const om = await Omega.open({ store: 'memory:' })
const layersModel = { layers: [], save() {}, predict() {}, fit() {}, compile() {}, getConfig() {} }
try {
  await om.models.put(layersModel, 'net')
} catch (err) {
  console.log(JSON.stringify({ code: err.code, message: err.message, exists: await om.models.exists('net') }))
} finally {
  await om.close()
}
