// The same application as CommonJS: require('@omega/omega') (Node >= 20.19 loads ES modules from
// require). argv: <iris.csv>. Prints one JSON line.
const { Omega, OmegaError, RandomForestClassifier } = require('@omega/omega')
// The app's own apache-arrow: the CommonJS build, a separate module instance from omega's ES module.
const arrow = require('apache-arrow')

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
    const table = new arrow.Table({
      city: arrow.vectorFromArray(['Zürich', 'Basel', null, 'Zürich'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      at: arrow.vectorFromArray([new Date(0), new Date(86_400_000), null, new Date(1_700_000_000_000)], new arrow.TimestampMillisecond()),
      n: arrow.vectorFromArray([1, 2, 3, 4], new arrow.Float64()),
    })
    await om.datasets.put(table, 'cities')
    const back = await om.datasets.get('cities')
    const cities = back.toArray().map((r) => ({ city: r.city, at: r.at, n: r.n }))
    const types = back.schema.fields.map((f) => String(f.type))
    console.log(JSON.stringify({ version: fitted.version, first: y.toArray()[0], missing, cities, types }))
  } finally {
    await om.close()
  }
}
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
