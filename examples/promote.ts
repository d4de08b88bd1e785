// Model versions, tags and promotion from a dev bucket to prod, with the lineage walked back.
// Run: npx -y pnpm@10.34.9 example examples/promote.ts
import { fileURLToPath } from 'node:url'
import { Omega, RandomForestClassifier, type Table } from '@omega/omega'

const om = await Omega.open({ bucket: 'dev' })
const prod = om.bucket('prod')
await om.datasets.readCsv(fileURLToPath(new URL('../fixtures/datasets/iris.csv', import.meta.url)), 'iris', { types: { target: 'int32' } })
const X = ((await om.datasets.get('iris[^target]')) as Table).toArray().map((r) => Object.values(r.toJSON()) as number[])
const y = Array.from((await om.datasets.get('iris[target]')) as Table, (r) => r.target as number)

// v1: the unfitted model (its hyper-parameters); v2 and v3: fitted with different forests.
await om.models.put(new RandomForestClassifier({ nEstimators: 10, seed: 1 }), 'iris-rf', { attributes: { owner: 'ana' } })
for (const [nEstimators, seed] of [[25, 1], [40, 7]] as const) {
  const rf = new RandomForestClassifier({ nEstimators, seed })
  rf.train(X, y)
  await om.models.put(rf, 'iris-rf', { attributes: { dataset: { Xname: 'iris[^target]', Yname: 'iris[target]', rows: X.length }, nEstimators } })
}
await om.models.tag('iris-rf@3', 'production')
for (const r of await om.models.revisions('iris-rf')) {
  console.log(`dev iris-rf@${r.version} parent=${r.parent} tags=[${r.tags.join(',')}] sha256=${r.sha256.slice(0, 12)}…`)
}

// Promote exactly the tagged version; the copy in prod is independent of dev.
const promoted = await om.models.promote('iris-rf@production', prod.models, { attributes: { approvedBy: 'ben' } })
console.log(`promoted to prod as iris-rf@${promoted.version}, promotedFrom=${JSON.stringify(promoted.attributes.promotedFrom)}`)
await om.models.put(new RandomForestClassifier({ nEstimators: 5 }), 'iris-rf') // dev moves on…
const served = (await prod.models.get('iris-rf')) as RandomForestClassifier
console.log(`prod predicts ${JSON.stringify(served.predict([X[0]!, X[75]!, X[149]!]))} for rows 0, 75, 149`)

console.log('lineage of prod iris-rf:')
for (const step of await prod.models.lineage('iris-rf')) {
  const data = step.dataset ? ` fitted on ${JSON.stringify(step.dataset)}` : ''
  console.log(`  ${step.relation.padEnd(12)} ${step.bucket}/${step.name}@${step.version}${data}`)
}
await om.close()
