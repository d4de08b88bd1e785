// Tracking costs: tracked (with capture) vs untracked predict, logMetric throughput, reading 1e6
// events, and a drift compare of two 1e6-row tables — each against the plain work it adds to.
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { RandomForestClassifier } from 'ml-random-forest'
import { compareTables, LevelBackend, Omega, tableFromArrays, type Table } from '@omega/omega'
import { ms, p50, printTable, ratio, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const N1 = Number(process.env.BENCH_N ?? 400)
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const COMPARE_ROWS = Number(process.env.BENCH_COMPARE_ROWS ?? 1_000_000)

function rows(n: number, seed: number): number[][] {
  let s = seed
  const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  return Array.from({ length: n }, () => [rand() * 8, rand() * 4, rand() * 7, rand() * 2.5])
}

async function open(runtime: 'inline' | 'pool', dir: string): Promise<Omega> {
  return await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 'store-'))), runtime, threads: 2 })
}

async function trackedPredict(dir: string): Promise<Row[]> {
  const X = rows(3000, 3)
  const y = X.map((r) => (r[2]! > 3.5 ? 1 : 0))
  const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
  rf.train(X, y)
  const out: Row[] = []
  for (const runtime of ['inline', 'pool'] as const) {
    const om = (await open(runtime, dir)) as Omega & { experiments: (n: string) => { track: (m: string, o: object) => Promise<void> } }
    await om.models.put(rf, 'plain')
    await om.models.put(rf, 'tracked')
    await om.experiments('bench').track('tracked', { capture: true })
    for (const batch of [1, 1000]) {
      const data = X.slice(0, batch)
      const plain: number[] = []
      const tracked: number[] = []
      const n = batch === 1 ? N1 : N1 / 4
      // Alternating calls: both see the same machine (its speed drifts under load).
      for (let i = 0; i < n + 50; i++) {
        const t0 = performance.now()
        await om.runtime.model('plain').predict(data)
        const t1 = performance.now()
        await om.runtime.model('tracked').predict(data)
        const t2 = performance.now()
        if (i >= 50) {
          plain.push(t1 - t0)
          tracked.push(t2 - t1)
        }
      }
      out.push({ runtime, batch, 'untracked p50 ms': ms(p50(plain)), 'tracked+capture p50 ms': ms(p50(tracked)), ratio: ratio(p50(tracked), p50(plain)), 'added p50 µs': ((p50(tracked) - p50(plain)) * 1000).toFixed(0) })
    }
    const stats = (om as unknown as { tracking: { stats(): { lost: number } } }).tracking.stats()
    await om.close()
    if (stats.lost > 0) throw new Error(`capture lost ${stats.lost} events`)
  }
  return out
}

async function events(dir: string): Promise<Row[]> {
  const om = await open('inline', dir)
  const exp = (om as unknown as { experiments(n: string): import('@omega/omega').Experiment }).experiments('many')
  const run = await exp.start()
  const t0 = performance.now()
  for (let i = 0; i < EVENTS; i++) run.logMetric('loss', i / EVENTS, { step: i })
  const logged = performance.now() - t0
  await exp.flush()
  const flushed = performance.now() - t0
  await exp.stop()
  // Raw: reading the same stored table with om.datasets.get; data() filters, sorts by dt and rebuilds columns.
  const r0 = performance.now()
  const raw = (await om.datasets.get('.experiments/many')) as Table
  const r1 = performance.now()
  const table = await exp.data({ run: '*', event: 'metric' })
  const r2 = performance.now()
  await om.close()
  if (table.numRows !== EVENTS || raw.numRows < EVENTS) throw new Error('events missing')
  return [
    { measure: `logMetric × ${EVENTS} (buffered)`, ms: logged.toFixed(0), 'events/s': `${(EVENTS / (logged / 1000) / 1e6).toFixed(2)} M`, 'vs raw': '' },
    { measure: `… and appended to the store`, ms: flushed.toFixed(0), 'events/s': `${(EVENTS / (flushed / 1000) / 1e6).toFixed(2)} M`, 'vs raw': '' },
    { measure: `data() of ${EVENTS} events`, ms: (r2 - r1).toFixed(0), 'events/s': '', 'vs raw': `${ratio(r2 - r1, r1 - r0)} of datasets.get (${(r1 - r0).toFixed(0)} ms)` },
  ]
}

function compare(): Row[] {
  const cols = (seed: number, shift: number): Table => {
    let s = seed
    const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    return tableFromArrays(Object.fromEntries(Array.from({ length: 10 }, (_, c) => [`c${c}`, Float64Array.from({ length: COMPARE_ROWS }, () => rand() + (c === 0 ? shift : 0))])))
  }
  const a = cols(1, 0)
  const b = cols(2, 0.1)
  // Raw: sorting each column of both tables (the least any exact KS/Wasserstein must do).
  const s0 = performance.now()
  for (const t of [a, b]) for (const f of t.schema.fields) Float64Array.from(t.getChild(f.name)!.toArray() as Float64Array).sort()
  const s1 = performance.now()
  const report = compareTables(a, b)
  const s2 = performance.now()
  return [{ measure: `compare: 2 × ${COMPARE_ROWS} rows × 10 columns (KS, Wasserstein, PSI)`, ms: (s2 - s1).toFixed(0), 'vs raw': `${ratio(s2 - s1, s1 - s0)} of sorting the columns (${(s1 - s0).toFixed(0)} ms)`, drifted: Object.entries(report.columns).filter(([, c]) => c.drift).map(([k]) => k).join(',') }]
}

export async function trackingScope(): Promise<Row[]> {
  const dir = benchDir('bench-tracking-')
  const predict = await trackedPredict(dir)
  printTable(`Tracked (capture: true) vs untracked predict: ml-random-forest 25 trees, number[][] X; n=${N1} (batch 1), ${N1 / 4} (batch 1000); goal ≤ 1.10× at 1000, ≤ +50 µs at 1`, predict)
  const ev = await events(dir)
  printTable('Experiment events (LevelDB store)', ev)
  const cmp = compare()
  printTable('Drift compare', cmp)
  return [...predict, ...ev, ...cmp]
}
