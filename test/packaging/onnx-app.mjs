// An application that added @omega/onnx (and not onnxruntime-node): ONNX models run on
// onnxruntime-web, inline and on the worker pool. argv: <logreg_iris.onnx> <rows as JSON>.
import { Omega } from '@omega/omega'
import { onnxRuntime } from '@omega/onnx'

const [file, rowsJson] = process.argv.slice(2)
const rows = JSON.parse(rowsJson)
const om = await Omega.open({ store: 'memory:' })
try {
  const meta = await om.models.put({ path: file }, 'clf')
  const model = await om.models.get('clf')
  const direct = await model.predict(rows)
  const pooled = await om.runtime.model('clf').predict(rows, { params: { outputs: ['label'] } })
  console.log(JSON.stringify({
    runtime: await onnxRuntime(),
    inputs: meta.kindMeta.inputs.map((i) => i.name),
    label: direct.label.toArray(),
    probabilities: direct.probabilities.toArray(),
    pooled: pooled.toArray(),
  }))
} finally {
  await om.close()
}
