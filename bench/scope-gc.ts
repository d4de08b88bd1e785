// Blob collection and fsck (issue 10): drop and replace-put cost with 10 vs 10,000 other objects
// (goal: flat, no scan of other objects), and fsck's verification throughput next to reading the
// same bytes with readFile (and readFile + sha256, the least a checksum pass can cost).
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FsBackend, LevelBackend, Omega, type StorageBackend } from '@omega/omega'
import { ms, p50, printTable, ratio, sample, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const N = Number(process.env.BENCH_N ?? 30)
const MANY = Number(process.env.BENCH_GC_OBJECTS ?? 10_000)
const FSCK_MB = Number(process.env.BENCH_FSCK_MB ?? 128)

interface Backend {
  readonly name: string
  /** A backend for filling the store fast (fs: no fsync) and one for measuring (defaults). */
  make(dir: string, filling: boolean): StorageBackend
}

const BACKENDS: Backend[] = [
  { name: 'level', make: (dir) => new LevelBackend(dir) },
  { name: 'fs', make: (dir, filling) => new FsBackend(dir, { fsync: !filling }) },
]

async function fill(backend: StorageBackend, count: number): Promise<void> {
  const om = await Omega.open({ store: backend })
  try {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        await om.datasets.put({ i, pad: 'x'.repeat(100) }, `other/${i}`)
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
  } finally {
    await om.close()
  }
}

/** Median drop, replace-put and glob-drop times with `others` unrelated objects in the store. */
async function collectionTimes(b: Backend, others: number): Promise<{ drop: number; replace: number; glob: number }> {
  const dir = benchDir(`bench-gc-${b.name}-`)
  await fill(b.make(dir, true), others)
  const om = await Omega.open({ store: b.make(dir, false) })
  try {
    let k = 0
    const distinct = (): Uint8Array => new TextEncoder().encode(`payload ${k++} ${'y'.repeat(2000)}`)
    const drop: number[] = []
    for (let i = 0; i < N + 3; i++) {
      await om.datasets.put(distinct(), 'victim')
      const t0 = process.hrtime.bigint()
      await om.datasets.drop('victim')
      if (i >= 3) drop.push(Number(process.hrtime.bigint() - t0) / 1e6)
    }
    await om.datasets.put(distinct(), 'target')
    const replace = await sample(N, 3, () => om.datasets.put(distinct(), 'target'))
    const glob: number[] = []
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < 20; i++) await om.datasets.put(distinct(), `victims/${i}`)
      const t0 = process.hrtime.bigint()
      await om.datasets.drop('victims/*')
      glob.push(Number(process.hrtime.bigint() - t0) / 1e6)
    }
    return { drop: p50(drop), replace: p50(replace), glob: p50(glob) }
  } finally {
    await om.close()
  }
}

/** fsck over FSCK_MB of blobs, next to readFile (and readFile + sha256) of the same bytes. */
async function fsckThroughput(b: Backend): Promise<Row> {
  const dir = benchDir(`bench-fsck-${b.name}-`)
  const blobMb = 4
  const count = Math.max(1, Math.round(FSCK_MB / blobMb))
  const files = benchDir('bench-fsck-raw-')
  const om = await Omega.open({ store: b.make(dir, true) })
  try {
    for (let i = 0; i < count; i++) {
      const bytes = randomBytes(blobMb * 1024 * 1024)
      await om.datasets.put(bytes, `big/${i}`)
      await writeFile(join(files, `f${i}`), bytes)
    }
  } finally {
    await om.close()
  }
  const check = await Omega.open({ store: b.make(dir, false) })
  let total = 0
  try {
    const times = await sample(3, 1, async () => {
      const report = await check.fsck()
      if (report.problems.length > 0) throw new Error(`fsck found problems in a clean store: ${JSON.stringify(report.problems[0])}`)
      total = report.bytes
    })
    const read = await sample(3, 1, async () => {
      for (let i = 0; i < count; i++) await readFile(join(files, `f${i}`))
    })
    const hashed = await sample(3, 1, async () => {
      for (let i = 0; i < count; i++) createHash('sha256').update(await readFile(join(files, `f${i}`))).digest()
    })
    const mbps = (t: number): string => ((total / 1024 / 1024) / (t / 1000)).toFixed(0)
    return {
      backend: b.name,
      'MB checked': (total / 1024 / 1024).toFixed(0),
      'fsck MB/s': mbps(p50(times)),
      'readFile MB/s': mbps(p50(read)),
      'readFile+sha256 MB/s': mbps(p50(hashed)),
      'fsck / readFile': ratio(p50(read), p50(times)),
      'fsck / readFile+sha256': ratio(p50(hashed), p50(times)),
    }
  } finally {
    await check.close()
  }
}

export async function gcScope(): Promise<Row[]> {
  const rows: Row[] = []
  for (const b of BACKENDS) {
    await collectionTimes(b, 10) // warm-up: the first run pays for JIT and cold caches
    const few = await collectionTimes(b, 10)
    const many = await collectionTimes(b, MANY)
    for (const op of ['drop', 'replace', 'glob'] as const) {
      rows.push({
        backend: b.name,
        operation: op === 'drop' ? 'drop' : op === 'replace' ? 'replace-put' : 'glob drop of 20',
        'p50 ms, 10 others': ms(few[op]),
        [`p50 ms, ${MANY} others`]: ms(many[op]),
        'ratio (goal ≈1)': ratio(many[op], few[op]),
      })
    }
  }
  printTable(`Blob collection: cost with 10 vs ${MANY} other objects (fs with fsync; n=${N}, medians)`, rows)
  const fsckRows: Row[] = []
  for (const b of BACKENDS) fsckRows.push(await fsckThroughput(b))
  printTable(`fsck throughput over ${FSCK_MB} MB of 4 MB blobs vs reading the same bytes (medians of 3; warm page cache)`, fsckRows)
  return [...rows, ...fsckRows]
}
