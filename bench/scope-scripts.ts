// Scripts: the cost of running a stored script by name, and of its om calls over the worker's
// message port, against the same work done directly in this process (the run record's put; the real om).
import { mkdtempSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { LevelBackend, Omega, tableFromArrays } from '@omega/omega'
import { ms, p50, printTable, ratio, sample, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const N = Number(process.env.BENCH_N ?? 100)
const CALLS = 200
const ROWS = 100_000

const SOURCE = `
export async function run(om, args) {
  if (args.op === 'calls') { for (let i = 0; i < args.n; i++) await om.datasets.metadata('big'); return args.n }
  if (args.op === 'table') return (await om.datasets.get('big')).numRows
  return args.n + 1
}`

export async function scriptsScope(): Promise<Row[]> {
  const dir = benchDir('bench-scripts-')
  const file = join(dir, 'bench-script.mjs')
  writeFileSync(file, SOURCE)
  const raw = (await import(pathToFileURL(file).href)) as { run: (om: unknown, args: Record<string, unknown>) => Promise<unknown> }
  const rows: Row[] = []
  const big = tableFromArrays({ a: Float64Array.from({ length: ROWS }, (_, i) => i), b: Int32Array.from({ length: ROWS }, (_, i) => i % 7) })
  const oms = {
    inline: await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 'inline-'))), runtime: 'inline' }),
    pool: await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 'pool-'))), runtime: 'pool', threads: 2 }),
  }
  for (const om of Object.values(oms)) {
    await om.scripts.put({ path: file }, 'bench')
    await om.datasets.put(big, 'big')
  }
  // A run reads the script's metadata and writes one run record: the record's put is the work to compare with.
  for (const [runtime, om] of Object.entries(oms)) {
    const put = await sample(N, 10, (i) => om.jobs.put({ script: 'bench', status: 'success', i }, `.bench/${i}`, { kind: 'json' }))
    const t = await sample(N, 10, () => om.runtime.script('bench').run({ n: 1 }))
    rows.push({ case: `one small JSON put on ${runtime}'s store (a run record alone)`, 'p50 ms': ms(p50(put)), ratio: '1.00×' })
    rows.push({ case: `trivial script, om.runtime.script().run() on ${runtime} (incl. its run record)`, 'p50 ms': ms(p50(t)), ratio: ratio(p50(t), p50(put)) })
  }
  const callsDirect = await sample(Math.max(5, N / 10), 2, () => raw.run(oms.inline, { op: 'calls', n: CALLS }))
  rows.push({ case: `${CALLS} om.datasets.metadata() calls, real om in this thread`, 'p50 ms': ms(p50(callsDirect)), ratio: '1.00×' })
  const callsPool = await sample(Math.max(5, N / 10), 2, () => oms.pool.runtime.script('bench').run({ op: 'calls', n: CALLS }))
  rows.push({ case: `${CALLS} om.datasets.metadata() calls from a pool worker (over the port)`, 'p50 ms': ms(p50(callsPool)), ratio: ratio(p50(callsPool), p50(callsDirect)) })
  const tableDirect = await sample(Math.max(5, N / 10), 2, () => raw.run(oms.inline, { op: 'table' }))
  rows.push({ case: `om.datasets.get() of ${ROWS.toLocaleString('en')} rows × 2, real om in this thread`, 'p50 ms': ms(p50(tableDirect)), ratio: '1.00×' })
  const tablePool = await sample(Math.max(5, N / 10), 2, () => oms.pool.runtime.script('bench').run({ op: 'table' }))
  rows.push({ case: `om.datasets.get() of ${ROWS.toLocaleString('en')} rows × 2 from a pool worker (Arrow IPC over the port)`, 'p50 ms': ms(p50(tablePool)), ratio: ratio(p50(tablePool), p50(tableDirect)) })
  for (const om of Object.values(oms)) await om.close()
  printTable(`Scripts: a stored script run by name, and its om calls from a worker, vs the same work in this thread; n=${N}`, rows)
  return rows
}
