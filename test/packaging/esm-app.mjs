// An application using omega as an ES module, installed from packed tarballs with plain npm.
// argv: <iris.csv> <logreg_iris.onnx>. Prints one JSON line of what it saw.
import { Omega, OmegaError, RandomForestClassifier } from '@omega/omega'

const [csv, onnxFile] = process.argv.slice(2)
const om = await Omega.open() // the embedded default: LevelDB in ./.omega
try {
  await om.datasets.readCsv(csv, 'iris')
  await om.models.put(new RandomForestClassifier({ nEstimators: 25, seed: 42 }), 'rf')
  const fitted = await om.runtime.model('rf').fit('iris[^target]', 'iris[target]') // on the worker pool
  const y = await om.runtime.model('rf').predict('iris[^target]')
  const labels = y.toArray()
  const model = await om.models.get('rf@2')
  const direct = model.predict([[5.1, 3.5, 1.4, 0.2]])
  let onnx
  try {
    await om.models.put({ path: onnxFile }, 'clf')
    onnx = { stored: true }
  } catch (err) {
    onnx = { isOmegaError: err instanceof OmegaError, code: err.code, message: err.message, exists: await om.models.exists('clf') }
  }
  console.log(JSON.stringify({ location: om.location, version: fitted.version, rows: labels.length, first: labels[0], direct, onnx }))
} finally {
  await om.close()
}
