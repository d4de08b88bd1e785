// The same application as CommonJS: require('@omega/omega') (Node >= 20.19 loads ES modules from
// require). argv: <iris.csv>. Prints one JSON line.
const { Omega, OmegaError, RandomForestClassifier } = require('@omega/omega')

async function main() {
  const om = await Omega.open({ store: 'fs:./cjs-store', runtime: 'inline' })
  try {
    await om.datasets.readCsv(process.argv[2], 'iris')
    await om.models.put(new RandomForestClassifier({ nEstimators: 25, seed: 42 }), 'rf')
    const fitted = await om.runtime.model('rf').fit('iris[^target]', 'iris[target]')
    const y = await om.runtime.model('rf').predict([[5.1, 3.5, 1.4, 0.2]])
    let missing
    try {
      await om.datasets.get('nope')
    } catch (err) {
      missing = { isOmegaError: err instanceof OmegaError, code: err.code }
    }
    console.log(JSON.stringify({ version: fitted.version, first: y.toArray()[0], missing }))
  } finally {
    await om.close()
  }
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
