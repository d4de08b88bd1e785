// Dataset put/get/selective get/iteration, next to raw fs + Arrow IPC doing the same work.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Field, Table, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow'
import { FsBackend, LevelBackend, Omega, batchOf, type StorageBackend } from '@omega/omega'
import { ms, p50, printTable, ratio, sample, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const COLS = 10
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5)
/** Columns of the wide table (10 rows); 0 skips it. */
const WIDE_COLS = Number(process.env.BENCH_WIDE_COLS ?? 100_000)
const WIDE_ROWS = 10

/** The backends each dataset benchmark runs on, in temp directories named bench-<tag>-…. */
function backendsIn(dir: (prefix: string) => string, tag: string): [string, () => StorageBackend][] {
  return [
    ['level', () => new LevelBackend(dir(`bench-${tag}-level-`))],
    ['fs (fsync)', () => new FsBackend(dir(`bench-${tag}-fs-`))],
    ['fs (no fsync)', () => new FsBackend(dir(`bench-${tag}-fs-`), { fsync: false })],
  ]
}

function wideTable(rows: number): Table {
  const cols: Record<string, ReturnType<typeof vectorFromArray>> = {}
  for (let c = 0; c < COLS; c++) cols[`c${c}`] = vectorFromArray(Float64Array.from({ length: rows }, (_, i) => i * 0.5 + c))
  return new Table(cols)
}

export async function datasetsScope(): Promise<Row[]> {
  const table = wideTable(ROWS)
  const mb = (ROWS * COLS * 8) / 1e6
  const dirs: string[] = []
  const dir = (p: string): string => {
    const d = benchDir(p)
    dirs.push(d)
    return d
  }
  const rawDir = dir('bench-ds-raw-')
  const rawPut = await sample(REPEAT, 1, (i) => writeFile(join(rawDir, `t${i}.arrow`), tableToIPC(table, 'stream')))
  const rawGet = await sample(REPEAT, 1, async (i) => tableFromIPC(await readFile(join(rawDir, `t${i}.arrow`))))

  const rows: Row[] = []
  for (const [name, make] of backendsIn(dir, 'ds')) {
    const om = await Omega.open({ store: make() })
    try {
      const put = await sample(REPEAT, 1, (i) => om.datasets.put(table, `d${i}`))
      const get = await sample(REPEAT, 1, (i) => om.datasets.get(`d${i}`))
      const getOne = await sample(REPEAT, 1, (i) => om.datasets.get(`d${i}[c0]`))
      const iter = await sample(REPEAT, 1, async (i) => {
        let n = 0
        for await (const t of om.datasets.iter(`d${i}#iterchunks:chunksize=50000`)) n += t.numRows
        return n
      })
      rows.push({
        backend: name,
        'put ms': ms(p50(put)),
        'raw put ms': ms(p50(rawPut)),
        'put speed vs raw': ratio(p50(rawPut), p50(put)),
        'get ms': ms(p50(get)),
        'raw get ms': ms(p50(rawGet)),
        'get speed vs raw': ratio(p50(rawGet), p50(get)),
        'get d[c0] / get d': ratio(p50(getOne), p50(get)),
        'iterate rows/s': `${((ROWS / p50(iter)) * 1000 / 1e6).toFixed(1)} M`,
      })
    } finally {
      await om.close()
    }
  }
  printTable(`Datasets: ${ROWS.toLocaleString('en')} rows × ${COLS} float64 (${mb.toFixed(0)} MB), median of ${REPEAT}; raw = tableToIPC + fs.writeFile / fs.readFile + tableFromIPC; "speed vs raw" = raw time / omega time`, rows)
  if (WIDE_COLS > 0) rows.push(...(await wide(dir)))
  rows.push(...outOfCore(dir('bench-ooc-')))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  return rows
}

/** A table of `columns` Float64 columns; built with batchOf (apache-arrow's constructors are quadratic in the column count). */
function manyColumns(columns: number, rows: number): Table {
  const fields: Field[] = []
  const data = []
  for (let c = 0; c < columns; c++) {
    const v = vectorFromArray(Float64Array.from({ length: rows }, (_, i) => i * 0.5 + c))
    fields.push(new Field(`c${c}`, v.type, true))
    data.push(v.data[0]!)
  }
  return new Table([batchOf(fields, data, rows)])
}

/** Put and get of a 100,000 × 10 table: narrow columns share parts, so few files and requests. */
async function wide(dir: (prefix: string) => string): Promise<Row[]> {
  const table = manyColumns(WIDE_COLS, WIDE_ROWS)
  const repeat = Math.min(REPEAT, 3)
  const rawDir = dir('bench-wide-raw-')
  const rawPut = await sample(repeat, 1, (i) => writeFile(join(rawDir, `t${i}.arrow`), tableToIPC(table, 'stream')))
  const out: Row[] = []
  for (const [name, make] of backendsIn(dir, 'wide')) {
    const om = await Omega.open({ store: make() })
    try {
      let parts = 0
      let bytes = 0
      const put = await sample(repeat, 1, async (i) => {
        const meta = await om.datasets.put(table, `w${i}`)
        parts = Object.keys(meta.parts).length
        bytes = meta.size
      })
      const get = await sample(repeat, 1, (i) => om.datasets.get(`w${i}`))
      const getTwo = await sample(repeat, 1, (i) => om.datasets.get(`w${i}[c5,c${WIDE_COLS - 1}]`))
      out.push({
        backend: name,
        'put ms': ms(p50(put)),
        'raw put ms': ms(p50(rawPut)),
        'get ms': ms(p50(get)),
        [`get w[c5,c${WIDE_COLS - 1}] ms`]: ms(p50(getTwo)),
        parts,
        'stored MB': (bytes / 1e6).toFixed(1),
      })
    } finally {
      await om.close()
    }
  }
  printTable(`Wide table: ${WIDE_COLS.toLocaleString('en')} float64 columns × ${WIDE_ROWS} rows, median of ${repeat}; narrow columns share parts (≤ 1 MiB, ≤ 4,096 columns each; one more part holds the schema); raw = tableToIPC + fs.writeFile`, out)
  return out
}

/** Peak memory of iterating a 640 MB table in a child Node with a 128 MB heap limit. */
function outOfCore(dir: string): Row[] {
  const entry = new URL('../packages/omega/dist/index.js', import.meta.url).href
  const script = `
    import { readFileSync } from 'node:fs'
    import { Table, vectorFromArray } from 'apache-arrow'
    import { Omega } from ${JSON.stringify(entry)}
    const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024
    const om = await Omega.open({ store: process.argv[1], fs: { fsync: false } })
    for (let a = 0; a < 8; a++) {
      const cols = {}
      for (let c = 0; c < 10; c++) cols['c' + c] = vectorFromArray(Float64Array.from({ length: 1_000_000 }, (_, i) => i + c))
      await om.datasets.put(new Table(cols), 'big', { append: a > 0 })
    }
    if (globalThis.gc) globalThis.gc()
    const base = process.memoryUsage().rss
    let peak = 0, peakAnon = 0, rows = 0
    const t0 = performance.now()
    for await (const t of om.datasets.iter('big#iterchunks:chunksize=100000')) {
      rows += t.numRows
      peak = Math.max(peak, process.memoryUsage().rss)
      peakAnon = Math.max(peakAnon, anon())
    }
    console.log(JSON.stringify({ rows, base, peak, peakAnon, ms: performance.now() - t0 }))
    await om.close()
  `
  const out: Row[] = []
  for (const scheme of ['fs', 'level']) {
    const r = JSON.parse(
      execFileSync(process.execPath, ['--max-old-space-size=128', '--expose-gc', '--input-type=module', '-e', script, `${scheme}:${join(dir, scheme)}`], {
        encoding: 'utf8',
        cwd: new URL('.', import.meta.url).pathname,
      }),
    ) as { rows: number; base: number; peak: number; peakAnon: number; ms: number }
    out.push({ backend: scheme, 'dataset MB': 640, 'heap limit MB': 128, 'peak RSS MB': (r.peak / 2 ** 20).toFixed(0), 'peak anonymous MB': (r.peakAnon / 2 ** 20).toFixed(0), 'rows/s': `${(r.rows / r.ms / 1000).toFixed(1)} M` })
  }
  printTable('Out-of-core iteration (child Node, --max-old-space-size=128, chunks of 100k rows; LevelDB maps its table files, so its RSS includes reclaimable file pages)', out)
  return out
}
