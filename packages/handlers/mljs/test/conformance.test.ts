import { PluginHost } from '@omega/core'
import { handlerSuite, loadCsv } from '@omega/conformance'
import { DecisionTreeClassifier } from 'ml-cart'
import { RandomForestClassifier } from 'ml-random-forest'
import { MultivariateLinearRegression } from 'ml-regression'

const PLUGIN = new URL('../dist/index.js', import.meta.url).href
const host = new PluginHost()
await host.load([PLUGIN])
const iris = loadCsv('iris')
const foreign = [{}, 'text', 42, new Uint8Array(3), null]

handlerSuite('mljs', host.handlers.get('mljs.RandomForestClassifier'), {
  plugins: [PLUGIN],
  foreign: [...foreign, new DecisionTreeClassifier()],
  fixtures: [
    {
      name: 'fitted forest',
      value: () => {
        const rf = new RandomForestClassifier({ nEstimators: 25, seed: 5 })
        rf.train(iris.X, iris.y)
        return rf
      },
      probe: (m) => (m as RandomForestClassifier).predict(iris.X),
    },
    {
      name: 'unfitted forest',
      value: () => new RandomForestClassifier({ nEstimators: 9, seed: 2 }),
      probe: (m) => [(m as unknown as { nEstimators: number }).nEstimators, (m as unknown as { seed: number }).seed, (m as RandomForestClassifier).estimators === undefined],
    },
  ],
})

handlerSuite('mljs', host.handlers.get('mljs.DecisionTreeClassifier'), {
  plugins: [PLUGIN],
  foreign: [...foreign, new RandomForestClassifier()],
  fixtures: [{ name: 'fitted tree', value: () => { const t = new DecisionTreeClassifier(); t.train(iris.X, iris.y); return t }, probe: (m) => (m as DecisionTreeClassifier).predict(iris.X) }],
})

handlerSuite('mljs', host.handlers.get('mljs.MultivariateLinearRegression'), {
  plugins: [PLUGIN],
  foreign,
  fixtures: [{ name: 'fitted regression', value: () => new MultivariateLinearRegression(iris.X, iris.y.map((v) => [v])), probe: (m) => (m as MultivariateLinearRegression).predict(iris.X) }],
})
