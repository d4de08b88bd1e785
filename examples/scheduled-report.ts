// Scripts stored as data, run by name, on a human-readable schedule: a report that summarises a
// dataset into a new dataset every minute, and its run history. The scheduler runs on an injected
// clock here, so three "minutes" pass at once; in an application, start() alone runs it in real time.
// Run: npx -y pnpm@10.34.9 example examples/scheduled-report.ts
import { fileURLToPath } from 'node:url'
import { Omega, OmegaError, type Table } from '@omega/omega'

const om = await Omega.open() // runtime: 'pool' — the script runs on a worker thread
const regions = ['north', 'south', 'east']
const sales = (day: number): { region: string; amount: number; day: number }[] =>
  Array.from({ length: 12 }, (_, i) => ({ region: regions[i % 3]!, amount: 10 + ((i * 7 + day * 3) % 20), day }))
await om.datasets.put(sales(1), 'sales')

// 1. Store the script: an ES module exporting run(om, args), parsed (never executed) at put.
const script = await om.scripts.put({ path: fileURLToPath(new URL('./scripts/sales-summary.mjs', import.meta.url)) }, 'sales-summary')
console.log(`stored script sales-summary: entry ${script.kindMeta.entry}, sha256 ${script.sha256.slice(0, 12)}…`)

// 2. Schedule it in plain words.
const T0 = new Date('2026-01-01T06:00:00Z')
const job = await om.jobs.schedule('sales-summary', 'every 1 minutes', { args: { source: 'sales', target: 'sales-by-region' }, timezone: 'UTC', startAt: T0 })
console.log(`scheduled ${job.name}: cron "${job.cron}" = ${job.description}`)
console.log(`next three runs after ${T0.toISOString()}: ${(await om.jobs.next('sales-summary', 3, T0)).join(', ')}`)

// 3. The scheduler, with an injected clock: three minutes, new sales arriving in between.
let now = T0
await om.runtime.scheduler.start({ now: () => now })
for (let minute = 1; minute <= 2; minute++) {
  await om.datasets.put(sales(minute + 1), 'sales', { append: true })
  now = new Date(T0.getTime() + minute * 60_000)
  await om.runtime.scheduler.tick()
}
await om.runtime.scheduler.stop()

const summary = (await om.datasets.get('sales-by-region')) as Table
for (const row of summary) console.log(`  ${String(row.region).padEnd(6)} orders ${row.orders}  total ${row.total}  mean ${row.mean}`)

// 4. A direct run (recorded too), and one that fails: the error is in the history.
const direct = await om.runtime.script('sales-summary').run({ source: 'sales', target: 'sales-by-region-now' })
console.log(`direct run: ${direct.durationMs} ms -> dataset ${(direct.result as { name: string }).name}`)
try {
  await om.runtime.script('sales-summary').run({ source: 'no-such-sales', target: 'x' })
} catch (err) {
  if (!OmegaError.is(err)) throw err
  console.log(`failing run -> ${err.code}`)
}

console.log('run history (oldest first):')
for (const r of await om.jobs.runs('sales-summary')) {
  const what = r.status === 'success' ? `-> ${r.datasets.join(', ')}` : `-> ${r.error!.code}: ${r.error!.message.slice(0, 60)}`
  console.log(`  ${r.status.padEnd(7)} ${r.job ? `job ${r.occurrence}` : 'direct'.padEnd(28)} on ${r.runtime} ${what}`)
}
await om.close()
