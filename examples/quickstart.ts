// The omega quick start: store a dataset and a model by name, get the model back, predict.
// Run: pnpm quickstart   (stores in $OMEGA_HOME, else ./.omega: the embedded LevelDB default)
import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { RandomForestClassifier } from 'ml-random-forest'
import { Omega } from '@omega/omega'

const om = await Omega.open()
const csv = readFileSync(new URL('../fixtures/datasets/iris.csv', import.meta.url))
const iris: Record<string, number>[] = parse(csv, { columns: true, cast: true })
await om.datasets.put(iris, 'iris')

const rows = (await om.datasets.get('iris')) as typeof iris
const X = rows.map((r) => [r.sepal_length!, r.sepal_width!, r.petal_length!, r.petal_width!])
const y = rows.map((r) => r.target!)
const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
rf.train(X, y)
const meta = await om.models.put(rf, 'iris-rf', { attributes: { dataset: 'iris' } })

const model = (await om.models.get('iris-rf')) as RandomForestClassifier
const rowsToPredict = [0, 50, 100]
const predicted = model.predict(rowsToPredict.map((i) => X[i]!))
console.log(`stored iris (${rows.length} rows) and iris-rf version ${meta.version} (${meta.kind}, ${meta.size} bytes) in ${om.location}`)
for (const [k, i] of rowsToPredict.entries()) console.log(`row ${i}: features ${JSON.stringify(X[i])} -> predicted ${predicted[k]}, actual ${y[i]}`)
console.log('models:', (await om.models.list()).join(', '))
await om.close()
