// Reproducible retraining: data arrives in batches (appends, each a dataset version that shares the
// earlier parts), the model is refit on each new version, and an earlier model is reproduced exactly
// from the dataset versions it recorded.
// Run: npx -y pnpm@10.34.9 example examples/retrain.ts
import { fileURLToPath } from 'node:url'
import { Omega, RandomForestClassifier, type Table, type Tensor } from '@omega/omega'

const om = await Omega.open()
// The source of the batches: iris, shuffled (a fixed permutation) so that every batch holds every class.
await om.datasets.readCsv(fileURLToPath(new URL('../fixtures/datasets/iris.csv', import.meta.url)), 'iris-source', { types: { target: 'int32' } })
const source = ((await om.datasets.get('iris-source')) as Table).toArray().map((r) => r.toJSON() as Record<string, number>)
const shuffled = source.map((_, i) => source[(i * 37) % source.length]!)

// The unfitted model (hyper-parameters and a seed: the forest is deterministic).
await om.models.put(new RandomForestClassifier({ nEstimators: 20, seed: 7 }), 'iris-rf')

for (let batch = 0; batch < 3; batch++) {
  const rows = shuffled.slice(batch * 50, batch * 50 + 50)
  // The first batch creates version 1; each append is the next version, sharing every earlier part.
  const data = await om.datasets.put(rows, 'iris', { append: true, keep: 10 })
  // Refit from the unfitted version on the new data version (the pool runs it on a worker thread).
  const model = await om.runtime.model('iris-rf@1').fit('iris[^target]', 'iris[target]')
  const d = model.attributes.dataset as { Xversion: number; rows: number }
  console.log(`batch ${batch + 1}: iris@${data.version} (${data.kindMeta.rows} rows) -> iris-rf@${model.version} fitted on iris@${d.Xversion}, ${d.rows} rows, sha256 ${model.sha256.slice(0, 12)}…`)
}

// Reproduce the model of the first batch exactly: same parent, same seed, same data version (iris@1),
// although iris has moved on to version 3.
const first = (await om.models.metadata('iris-rf@2'))!
const again = await om.runtime.model('iris-rf@2').refit()
console.log(`refit iris-rf@2 -> iris-rf@${again.version}: ${JSON.stringify(again.attributes.refitOf)}`)
console.log(`identical bytes: ${again.sha256 === first.sha256}`)
const X = 'iris@1[^target]'
const p1 = (await om.runtime.model('iris-rf@2').predict<Tensor>(X)).toArray() as number[]
const p2 = (await om.runtime.model(`iris-rf@${again.version}`).predict<Tensor>(X)).toArray() as number[]
console.log(`same predictions on ${X}: ${p1.length === p2.length && p1.every((v, i) => v === p2[i])}`)

console.log('dataset versions:')
for (const r of await om.datasets.revisions('iris')) console.log(`  iris@${r.version} parent=${r.parent} sha256=${r.sha256.slice(0, 12)}…`)
console.log(`lineage of iris-rf@${again.version}:`)
for (const step of await om.models.lineage(`iris-rf@${again.version}`)) {
  const d = step.dataset as { Xname?: string; Xversion?: number; Yname?: string; Yversion?: number } | undefined
  const data = d?.Xname ? ` fitted on ${d.Xname} @${d.Xversion}, ${d.Yname} @${d.Yversion}` : ''
  console.log(`  ${step.relation.padEnd(7)} iris-rf@${step.version}${data}`)
}
await om.close()
