// The omega|ml flow on the worker pool: put an unfitted model, fit it by dataset names, predict,
// and go back to the unfitted version with ^.
// Run: npx -y pnpm@10.34.9 example examples/runtime.ts
import { fileURLToPath } from 'node:url'
import { DecisionTreeClassifier, Omega, RandomForestClassifier, type Tensor } from '@omega/omega'

const om = await Omega.open() // runtime: 'pool' (worker threads) is the default
await om.datasets.readCsv(fileURLToPath(new URL('../fixtures/datasets/iris.csv', import.meta.url)), 'mydata', { types: { target: 'int32' } })

// 1. Store the model unfitted: only its hyper-parameters are stored, as data.
await om.models.put(new RandomForestClassifier({ nEstimators: 25, seed: 42 }), 'mymodel')

// 2. Fit on a worker thread, by dataset names; the fitted model is stored as version 2.
const fitted = await om.runtime.model('mymodel').fit('mydata[^target]', 'mydata[target]')
console.log(`fit -> mymodel@${fitted.version} (parent ${fitted.parent}), dataset ${JSON.stringify(fitted.attributes.dataset)}`)

// 3. Predict from a dataset, from inline rows, and into a dataset.
const y = await om.runtime.model('mymodel').predict<Tensor>('mydata[^target]#rows:start=48,end=52')
console.log('predict rows 48..51 ->', y.toArray())
console.log('predict inline ->', (await om.runtime.model('mymodel').predict<Tensor>([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])).toArray())
const proba = await om.runtime.model('mymodel').predictProba([[6.0, 2.7, 5.1, 1.6]])
console.log('predictProba ->', (proba.toArray() as number[][])[0]!.map((p) => p.toFixed(2)))
console.log('score on "*" (the data of the last fit) ->', (await om.runtime.model('mymodel').score('*', '*')).toFixed(3))
const preds = await om.runtime.model('mymodel').predict('mydata[^target]', { rName: 'predictions' })
console.log(`predictions stored as dataset "${preds.name}" (${preds.kindMeta.rows} rows)`)

// 4. ^ goes back to the version before: the unfitted model, which cannot predict.
const previous = await om.models.metadata('mymodel^')
console.log(`mymodel^ is version ${previous!.version}, fitted: ${previous!.kindMeta.fitted}`)
try {
  await om.runtime.model('mymodel^').predict([[5.1, 3.5, 1.4, 0.2]])
} catch (err) {
  console.log(`predict on mymodel^ -> ${(err as { code: string }).code}`)
}

// 5. Gridsearch: folds run in parallel across the pool; the best is stored as a new version.
await om.models.put(new DecisionTreeClassifier(), 'tree')
const best = await om.runtime.model('tree').gridsearch('mydata[^target]', 'mydata[target]', { params: { maxDepth: [1, 2, 4] }, cv: 3 })
const report = best.attributes.gridsearch as { best: { params: object; score: number } }
console.log(`gridsearch -> tree@${best.version}, best ${JSON.stringify(report.best.params)} with accuracy ${report.best.score.toFixed(3)}`)
await om.close()
