// Dataset versions (issue 11): an append is a version that shares every earlier part, so its cost
// is the new rows (goal: append of 1e5 rows to a 1e7-row dataset ≤ 1.2× the first put of 1e5 rows),
// 100 appends take about the space of one put of the same rows (goal ≤ 1.1×), and reading an old
// version does not slow down as versions pile up. Backends: level (the default) and fs.
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Table, vectorFromArray } from 'apache-arrow'
import { FsBackend, LevelBackend, Omega, type StorageBackend } from '@omega/omega'
import { ms, p50, printTable, ratio, sample, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const BIG = Number(process.env.BENCH_DSV_ROWS ?? 10_000_000)
const STEP = 100_000
const APPENDS = 100
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5)

/** `n` rows from `from`: x0, x1 (float64), y (int32) — 20 bytes a row. */
function rows(from: number, n: number): Table {
  return new Table({
    x0: vectorFromArray(Float64Array.from({ length: n }, (_, i) => (from + i) * 0.5)),
    x1: vectorFromArray(Float64Array.from({ length: n }, (_, i) => ((from + i) % 97) / 3)),
    // Not periodic: a periodic column would repeat whole parts, which one put stores once (dedup).
    y: vectorFromArray(Int32Array.from({ length: n }, (_, i) => Math.abs(Math.trunc(Math.sin(from + i) * 1e4)) % 3)),
  })
}

async function du(dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size
  }
  return total
}

const BACKENDS: [string, (dir: string) => StorageBackend][] = [
  ['level', (dir) => new LevelBackend(dir)],
  ['fs', (dir) => new FsBackend(dir)],
]

export async function dsvScope(): Promise<Row[]> {
  const out: Row[] = []
  for (const [name, make] of BACKENDS) {
    // 1. Append 1e5 rows to a 1e7-row dataset vs the first put of 1e5 rows.
    const om = await Omega.open({ store: make(benchDir(`bench-dsv-${name}-`)) })
    try {
      for (let at = 0; at < BIG; at += 1_000_000) await om.datasets.put(rows(at, Math.min(1_000_000, BIG - at)), 'big', { append: true })
      const batch = rows(0, STEP)
      // Alternating, so that both see the same machine (the first pair warms up).
      const first: number[] = []
      const append: number[] = []
      for (let i = 0; i <= REPEAT * 2; i++) {
        const [f] = await sample(1, 0, () => om.datasets.put(batch, `fresh-${i}`))
        const [a] = await sample(1, 0, () => om.datasets.put(batch, 'big', { append: true }))
        if (i > 0) (first.push(f!), append.push(a!))
      }
      out.push({ backend: name, measure: `append ${STEP} rows to ${BIG} rows vs first put of ${STEP}`, omega: `${ms(p50(append))} ms`, baseline: `${ms(p50(first))} ms`, ratio: ratio(p50(append), p50(first)), goal: '≤ 1.2×' })
    } finally {
      await om.close()
    }
    // 2. Bytes on disk: 100 appends vs one put of the same rows (1e5 rows as the issue asks, and 1e6).
    for (const total of [STEP, 10 * STEP]) {
      const dirA = benchDir(`bench-dsv-${name}-appends-`)
      const dirB = benchDir(`bench-dsv-${name}-oneput-`)
      const per = total / APPENDS
      const a = await Omega.open({ store: make(dirA) })
      let before: number[] = []
      let after: number[] = []
      try {
        await a.datasets.put(rows(0, per), 'd')
        before = await sample(REPEAT * 4, 2, () => a.datasets.get('d@1'))
        for (let i = 1; i < APPENDS; i++) await a.datasets.put(rows(i * per, per), 'd', { append: true })
        after = await sample(REPEAT * 4, 2, () => a.datasets.get('d@1'))
      } finally {
        await a.close()
      }
      const b = await Omega.open({ store: make(dirB) })
      try {
        await b.datasets.put(rows(0, total), 'd')
      } finally {
        await b.close()
      }
      // The latest of 100 delta versions vs the same rows put once, each from a new instance: its
      // first read walks the whole chain of version documents; later reads find it cached.
      const readLatest = async (dir: string): Promise<{ cold: number; warm: number[] }> => {
        const o = await Omega.open({ store: make(dir) })
        try {
          await o.datasets.exists('other') // opens the store and warms the code paths, reads no version of d
          const t0 = performance.now()
          await o.datasets.metadata('d')
          return { cold: performance.now() - t0, warm: await sample(REPEAT * 4, 1, () => o.datasets.get('d')) }
        } finally {
          await o.close()
        }
      }
      const latestA = await readLatest(dirA)
      const latestB = await readLatest(dirB)
      const [sa, sb] = [await du(dirA), await du(dirB)]
      out.push({ backend: name, measure: `bytes on disk: ${APPENDS} appends of ${per} rows vs one put of ${total}`, omega: `${(sa / 1e6).toFixed(2)} MB`, baseline: `${(sb / 1e6).toFixed(2)} MB`, ratio: ratio(sa, sb), goal: '≤ 1.1×' })
      // 3. get('d@1') after 100 appends vs before.
      out.push({ backend: name, measure: `get('d@1') (${per} rows) after ${APPENDS - 1} appends vs before`, omega: `${ms(p50(after))} ms`, baseline: `${ms(p50(before))} ms`, ratio: ratio(p50(after), p50(before)), goal: '≈ 1×' })
      out.push({ backend: name, measure: `metadata('d'), the latest of ${APPENDS} versions (${total} rows) vs one put's, first call in a new instance (chain walk)`, omega: `${ms(latestA.cold)} ms`, baseline: `${ms(latestB.cold)} ms`, ratio: ratio(latestA.cold, latestB.cold), goal: '—' })
      out.push({ backend: name, measure: `get('d') (${total} rows in ${APPENDS} versions) vs one put's, warm`, omega: `${ms(p50(latestA.warm))} ms`, baseline: `${ms(p50(latestB.warm))} ms`, ratio: ratio(p50(latestA.warm), p50(latestB.warm)), goal: '—' })
    }
  }
  printTable('dataset versions: appends share parts', out)
  return out
}
