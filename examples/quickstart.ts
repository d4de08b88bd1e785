// The omega quick start: store a dataset and a model by name, get the model back, predict.
// Run: npx -y pnpm@10.34.9 quickstart   (stores in $OMEGA_HOME, else ./.omega: the embedded LevelDB default)
import { fileURLToPath } from 'node:url'
import { Omega, RandomForestClassifier } from '@omega/omega'

const om = await Omega.open()
await om.datasets.readCsv(fileURLToPath(new URL('../fixtures/datasets/iris.csv', import.meta.url)), 'iris')

const features = await om.datasets.get('iris[^target]') // a Table: every column but target
const X = features.toArray().map((row) => Object.values(row.toJSON()) as number[])
const y = Array.from(await om.datasets.get('iris[target]'), (row) => row.target as number)
const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
rf.train(X, y)
const meta = await om.models.put(rf, 'iris-rf', { attributes: { dataset: 'iris' } })

const model = await om.models.get<RandomForestClassifier>('iris-rf')
const rowsToPredict = [0, 50, 100]
const predicted = model.predict(rowsToPredict.map((i) => X[i]!))
console.log(`stored iris (${X.length} rows) and iris-rf version ${meta.version} (${meta.kind}, ${meta.size} bytes) in ${om.location}`)
for (const [k, i] of rowsToPredict.entries()) console.log(`row ${i}: features ${JSON.stringify(X[i])} -> predicted ${predicted[k]}, actual ${y[i]}`)
console.log('models:', (await om.models.list()).join(', '))
await om.close()
