// ONNX: put the fixture MLP (trained in torch, exported to ONNX), then predict on a dataset by name.
// Run: npx -y pnpm@10.34.9 example examples/onnx.ts
import { fileURLToPath } from 'node:url'
import { Omega, type Table, type Tensor } from '@omega/omega'
import type { OnnxModel } from '@omega/onnx'

const fixture = (path: string): string => fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url))
const om = await Omega.open()

// Validated at put (a corrupt file is E_MODEL_LOAD and nothing is stored); the graph is described in kindMeta.
const meta = await om.models.put({ path: fixture('onnx/mlp_breast_cancer.onnx') }, 'cancer-mlp')
const { inputs, outputs, opsets, producer } = meta.kindMeta as { inputs: object[]; outputs: object[]; opsets: object; producer: object }
console.log(`cancer-mlp@${meta.version}: ${meta.size} bytes, producer ${JSON.stringify(producer)}, opsets ${JSON.stringify(opsets)}`)
console.log('inputs', JSON.stringify(inputs), 'outputs', JSON.stringify(outputs))

// Predict by dataset name on the worker pool: every column but the target, in the model's order.
await om.datasets.readCsv(fixture('datasets/breast_cancer.csv'), 'cancer', { types: { target: 'int32' } })
const out = await om.runtime.model('cancer-mlp').predict<Record<string, Tensor>>('cancer[^target]')
const labels = out.label!.toArray() as number[]
const truth = Array.from((await om.datasets.get('cancer[target]')) as Iterable<{ target: number }>, (r) => r.target)
const accuracy = labels.filter((l, i) => l === truth[i]).length / labels.length
console.log(`predicted ${labels.length} rows on the pool; accuracy vs target: ${accuracy.toFixed(3)}`)
console.log('first probabilities:', (out.probabilities!.toArray() as number[][]).slice(0, 2).map((p) => p.map((v) => v.toFixed(4))))

// Or get the model and run it in this thread.
const model = (await om.models.get('cancer-mlp')) as OnnxModel
const first = ((await om.datasets.get('cancer[^target]#rows:start=0,end=1')) as Table).toArray()[0]!.toJSON()
const one = (await model.predict([Object.values(first) as number[]], { outputs: ['label'] })) as Tensor
console.log('row 0 in-process ->', one.toArray())
await model.close()

try {
  await om.runtime.model('cancer-mlp').fit('cancer[^target]', 'cancer[target]')
} catch (err) {
  console.log(`fit -> ${(err as { code: string }).code}: ${(err as Error).message}`)
}
await om.close()
