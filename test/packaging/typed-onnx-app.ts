// A strict TypeScript application using ONNX (skipLibCheck: false, no DOM lib): @omega/onnx's
// declarations must not pull in onnxruntime's, which name browser types.
import { Omega, isTensor, type Tensor } from '@omega/omega'
import { onnxRuntime, type OnnxModel } from '@omega/onnx'

export async function predictLabels(file: string, rows: number[][]): Promise<number[]> {
  const om = await Omega.open({ store: 'memory:' })
  await om.models.put({ path: file }, 'clf')
  const model = await om.models.get<OnnxModel>('clf')
  const labels: Tensor = await model.predict(rows, { outputs: ['label'] })
  const pooled = await om.runtime.model('clf').predict(rows)
  console.log(await onnxRuntime(), isTensor(pooled) ? pooled.shape : Object.keys(pooled))
  await om.close()
  return labels.toArray() as number[]
}
