// Export/import (issue 17): om.export to a directory and to .tar.gz, and om.import of that .tar.gz
// into a new store, next to the system `tar` archiving (czf) and unpacking (xzf) the store
// directory itself: the same bytes through the plainest tool. Import also verifies every sha256
// and publishes through the commit path; tar does neither.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { FsBackend, LevelBackend, Omega, type StorageBackend } from '@omega/omega'
import { ms, p50, printTable, ratio, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const MB = Number(process.env.BENCH_ARCHIVE_MB ?? 64)
const RUNS = Number(process.env.BENCH_ARCHIVE_RUNS ?? 3)
const SMALL = Number(process.env.BENCH_ARCHIVE_SMALL ?? 200)

const BACKENDS: { name: string; make: (dir: string) => StorageBackend }[] = [
  { name: 'level', make: (dir) => new LevelBackend(dir) },
  { name: 'fs', make: (dir) => new FsBackend(dir) },
]

/** Milliseconds of one call. */
async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

/** Median and range of RUNS timings, each on fresh paths. */
async function runs(fn: (i: number) => Promise<number>): Promise<{ median: number; spread: string }> {
  const out: number[] = []
  for (let i = 0; i < RUNS; i++) out.push(await fn(i))
  return { median: p50(out), spread: `${ms(Math.min(...out))}–${ms(Math.max(...out))}` }
}

/** A store of MB megabytes in 4 MB files plus SMALL small JSON objects (random bytes: gzip gains nothing). */
async function fill(dir: string, make: (dir: string) => StorageBackend): Promise<void> {
  const om = await Omega.open({ store: make(dir), runtime: 'inline' })
  try {
    for (let i = 0; i < Math.max(1, Math.round(MB / 4)); i++) await om.datasets.put(randomBytes(4 * 1024 * 1024), `big/${i}`)
    for (let i = 0; i < SMALL; i++) await om.datasets.put({ i, pad: 'x'.repeat(200) }, `small/${i}`, { kind: 'json' })
  } finally {
    await om.close()
  }
}

export async function archiveScope(): Promise<Row[]> {
  const rows: Row[] = []
  for (const b of BACKENDS) {
    const root = benchDir(`bench-archive-${b.name}-`)
    const store = join(root, 'store')
    await fill(store, b.make)
    const tarGz = await runs(async (i) => await time(() => execFileSync('tar', ['-czf', join(root, `raw-${i}.tar.gz`), '-C', store, '.'])))
    const untar = await runs(async (i) => {
      const into = join(root, `untar-${i}`)
      mkdirSync(into)
      return await time(() => execFileSync('tar', ['-xzf', join(root, `raw-${i}.tar.gz`), '-C', into]))
    })
    const om = await Omega.open({ store: b.make(store), runtime: 'inline' })
    let exportDir: { median: number; spread: string }
    let exportGz: { median: number; spread: string }
    try {
      exportDir = await runs(async (i) => await time(() => om.export('data/**', join(root, `dir-${i}`))))
      exportGz = await runs(async (i) => await time(() => om.export('data/**', join(root, `omega-${i}.tar.gz`))))
    } finally {
      await om.close()
    }
    const importGz = await runs(async (i) => {
      const target = await Omega.open({ store: b.make(join(root, `imported-${i}`)), runtime: 'inline' })
      try {
        return await time(() => target.import(join(root, `omega-${i}.tar.gz`)))
      } finally {
        await target.close()
      }
    })
    const mbps = (t: number): string => (MB / (t / 1000)).toFixed(1)
    rows.push(
      { backend: b.name, operation: 'export → directory', MB, 'omega ms (median)': ms(exportDir.median), 'omega range': exportDir.spread, 'MB/s': mbps(exportDir.median), 'tar -czf of the store ms': ms(tarGz.median), 'omega / tar': ratio(exportDir.median, tarGz.median) },
      { backend: b.name, operation: 'export → .tar.gz', MB, 'omega ms (median)': ms(exportGz.median), 'omega range': exportGz.spread, 'MB/s': mbps(exportGz.median), 'tar -czf of the store ms': ms(tarGz.median), 'omega / tar': ratio(exportGz.median, tarGz.median) },
      { backend: b.name, operation: 'import .tar.gz (verify + publish)', MB, 'omega ms (median)': ms(importGz.median), 'omega range': importGz.spread, 'MB/s': mbps(importGz.median), 'tar -czf of the store ms': `xzf ${ms(untar.median)}`, 'omega / tar': ratio(importGz.median, untar.median) },
    )
  }
  printTable(`export/import of ${MB} MB (${Math.round(MB / 4)} × 4 MB + ${SMALL} small objects) vs tar of the store directory, median of ${RUNS}`, rows)
  return rows
}
