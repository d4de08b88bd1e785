// Production monitoring: fit a model, track it with capture, predict on data whose humidity has
// shifted in several runs, read back exactly what the model saw, and get a drift report.
// Run: npx -y pnpm@10.34.9 example examples/monitoring.ts
import { DecisionTreeRegression, Omega, type Tensor } from '@omega/omega'

/** Deterministic pseudo-random numbers, so the output is the same on every run. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const sensors = (rows: number, seed: number, humidityShift = 0) => {
  const r = random(seed)
  return Array.from({ length: rows }, () => {
    const temperature = 15 + 10 * r()
    const humidity = 40 + 20 * r() + humidityShift
    const pressure = 1000 + 30 * r()
    return { temperature, humidity, pressure, energy: 3 * temperature + 0.5 * humidity - 0.1 * (pressure - 1000) }
  })
}

const om = await Omega.open() // LevelDB at $OMEGA_HOME, worker-pool runtime
await om.datasets.put(sensors(1000, 1), 'sensors')
await om.models.put(new DecisionTreeRegression({ maxDepth: 6 }), 'energy')
const fitted = await om.runtime.model('energy').fit('sensors[^energy]', 'sensors[energy]')
console.log(`fit energy@${fitted.version} on sensors (${(fitted.attributes.dataset as { rows: number }).rows} rows)`)

// Track the model: every call logs task_call/task_success; capture keeps X and Y.
const exp = om.experiments('energy-prod')
await exp.track('energy', { capture: true })
om.tracking.alert({ event: 'drift', action: (e) => console.log(`ALERT: drift on ${e.key} in run ${e.run}`) })

// Production: three runs of 200 readings each, humidity 15 points higher than in training.
for (let day = 1; day <= 3; day++) {
  await exp.run(async (run) => {
    const readings = sensors(200, 100 + day, 15).map(({ energy: _, ...x }) => x)
    const y = await om.runtime.model('energy').predict<Tensor>(readings)
    const mean = (y.toArray() as number[]).reduce((a, b) => a + b, 0) / readings.length
    run.logMetric('mean_prediction', mean, { step: day })
    console.log(`run ${run.number as number}: predicted ${readings.length} rows, mean prediction ${mean.toFixed(1)}`)
  })
}

// Exactly what the model saw, as one Arrow table.
const X = await exp.restoreData('X', { event: 'predict', run: '*' })
console.log(`captured inputs: ${X.numRows} rows, columns ${X.schema.fields.map((f) => f.name).join(', ')}`)
console.log(`first captured row: ${JSON.stringify(X.get(0)?.toJSON(), (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))}`)

// Drift: the captured inputs of all runs against the fit data (sensors@1[^energy]).
const mon = om.monitor('energy', { experiment: 'energy-prod' })
await mon.snapshot('sensors[^energy]')
const report = await mon.capture({ baseline: 'fit', target: 'recent' })
for (const [column, c] of Object.entries(report.columns)) {
  console.log(`${column.padEnd(12)} ${c.test} statistic ${c.statistic.toFixed(3)} p ${c.pvalue.toExponential(2)} wasserstein ${c.wasserstein!.toFixed(2)} psi ${c.psi.toFixed(2)} drift: ${c.drift}`)
}
console.log(`drift: ${report.drift} (${Object.entries(report.columns).filter(([, c]) => c.drift).map(([k]) => k).join(', ')})`)
await om.tracking.alertsSettled()

const summary = await exp.summary()
console.log(`events: ${JSON.stringify(summary.counts)}`)
console.log(`predict latency p50 ${summary.latency['energy predict']!.p50.toFixed(1)} ms over ${summary.latency['energy predict']!.count} calls; capture lost ${om.tracking.stats().lost} events`)
await om.close()
