// Fast paths of the store (issue 12): verified reads at disk speed, costs flat in store size, small
// puts near raw LevelDB. Each figure is a ratio against the raw library (or the same operation on a
// small store) in the same run; the scope repeats everything BENCH_ROUNDS times and prints the
// median ratio with its spread, because the machine is shared.
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Table, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow'
import { ClassicLevel } from 'classic-level'
import { DecisionTreeClassifier } from 'ml-cart'
import { FsBackend, LevelBackend, Omega, type StorageBackend } from '@omega/omega'
import { loadIris } from './data.js'
import { ms, p50, printTable, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TABLE_ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const TABLE_REPEAT = Number(process.env.BENCH_REPEAT ?? 5)
const OTHERS = Number(process.env.BENCH_DROP_OTHERS ?? 3_000)
const GLOB = Number(process.env.BENCH_GLOB_OBJECTS ?? 4_000)
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 1_000)
const SMALL_N = Number(process.env.BENCH_N ?? 400)
/** `BENCH_ONLY=small,latest` runs only those parts (table, drop, glob, small, latest); all by default. */
const ONLY = process.env.BENCH_ONLY?.split(',')
const runs = (part: string): boolean => ONLY === undefined || ONLY.includes(part)

interface Backend {
  readonly name: string
  /** `filling`: a backend for filling a store fast (fs without fsync); otherwise the defaults. */
  make(dir: string, filling?: boolean): StorageBackend
}

const LEVEL: Backend = { name: 'level', make: (dir) => new LevelBackend(dir) }
const FS: Backend = { name: 'fs', make: (dir, filling) => new FsBackend(dir, { fsync: !filling }) }
const FS_NOSYNC: Backend = { name: 'fs (no fsync)', make: (dir) => new FsBackend(dir, { fsync: false }) }

/**
 * Writes out what a filler left in the page cache (fs fills skip fsync): the timed part then works
 * on a store whose bytes are on disk, as a store in use is. Removing files never written out is
 * much cheaper (the file system drops them unwritten), which flattered fs drops before.
 */
function flush(): void {
  execFileSync('sync')
}

/** Times `fn` once, in milliseconds. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

/** Runs `a` and `b` alternately `n` times after `warmup` pairs, so both see the same machine. */
async function alternate(n: number, warmup: number, a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>): Promise<[number[], number[]]> {
  const ta: number[] = []
  const tb: number[] = []
  for (let i = 0; i < n + warmup; i++) {
    const x = await time(() => a(i))
    const y = await time(() => b(i))
    if (i >= warmup) {
      ta.push(x)
      tb.push(y)
    }
  }
  return [ta, tb]
}

async function withOmega<T>(backend: StorageBackend, fn: (om: Omega) => Promise<T>): Promise<T> {
  const om = await Omega.open({ store: backend })
  try {
    return await fn(om)
  } finally {
    await om.close()
  }
}

/** Stores `count` small datasets named `<prefix><i>`, eight at a time. */
async function fill(om: Omega, prefix: string, count: number): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      await om.datasets.put({ i, pad: 'x'.repeat(100) }, `${prefix}${i}`)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}

function tenColumns(rows: number): Table {
  const cols: Record<string, ReturnType<typeof vectorFromArray>> = {}
  for (let c = 0; c < 10; c++) cols[`c${c}`] = vectorFromArray(Float64Array.from({ length: rows }, (_, i) => i * 0.5 + c))
  return new Table(cols)
}

/** 80 MB table: omega get vs readFile + tableFromIPC; returns [omega ms, raw ms]. */
async function tableGet(b: Backend, table: Table, rawFile: string): Promise<[number, number]> {
  return await withOmega(b.make(benchDir(`bench-fast-table-${b.name}-`)), async (om) => {
    await om.datasets.put(table, 'big')
    const [omega, raw] = await alternate(TABLE_REPEAT, 1, () => om.datasets.get('big'), async () => tableFromIPC(await readFile(rawFile)))
    return [p50(omega), p50(raw)]
  })
}

/** Median drop of a dataset and of a model version with `others` other objects in the store. */
async function dropTimes(b: Backend, others: number, model: DecisionTreeClassifier): Promise<{ dataset: number; model: number }> {
  const dir = benchDir(`bench-fast-drop-${b.name}-`)
  await withOmega(b.make(dir, true), (om) => fill(om, 'other/', others))
  flush()
  return await withOmega(b.make(dir), async (om) => {
    let k = 0
    const distinct = (): Uint8Array => new TextEncoder().encode(`payload ${k++} ${'y'.repeat(2000)}`)
    const dataset: number[] = []
    const models: number[] = []
    for (let i = 0; i < 33; i++) {
      await om.datasets.put(distinct(), 'victim')
      const d = await time(() => om.datasets.drop('victim'))
      await om.models.put(model, 'victim-model')
      const m = await time(() => om.models.drop('victim-model'))
      if (i >= 3) {
        dataset.push(d)
        models.push(m)
      }
    }
    return { dataset: p50(dataset), model: p50(models) }
  })
}

/** One glob drop of `count` objects (next to 10 unrelated ones), in milliseconds. */
async function globDrop(b: Backend, count: number): Promise<number> {
  const dir = benchDir(`bench-fast-glob-${b.name.replace(/\W+/g, '-')}-`)
  await withOmega(b.make(dir, true), async (om) => {
    await fill(om, 'victims/', count)
    await fill(om, 'other/', 10)
  })
  flush()
  return await withOmega(b.make(dir), async (om) => {
    const t = await time(() => om.datasets.drop('victims/*'))
    if ((await om.datasets.list('victims/*')).length !== 0) throw new Error('glob drop left objects behind')
    return t
  })
}

/** Small model put+get on LevelDB vs classic-level put+get of the same bytes; returns [omega p50, raw p50]. */
async function smallPutGet(tree: DecisionTreeClassifier): Promise<[number, number]> {
  const bytes = new TextEncoder().encode(JSON.stringify({ fitted: true, model: tree.toJSON() }))
  const raw = new ClassicLevel<string, Uint8Array>(benchDir('bench-fast-raw-level-'), { valueEncoding: 'view' })
  await raw.open()
  try {
    return await withOmega(LEVEL.make(benchDir('bench-fast-small-')), async (om) => {
      const [omega, base] = await alternate(
        SMALL_N,
        40,
        async () => {
          await om.models.put(tree, 'tree')
          await om.models.get('tree')
        },
        async (i) => {
          await raw.put(`k${i}`, bytes)
          await raw.get(`k${i}`)
        },
      )
      return [p50(omega), p50(base)]
    })
  } finally {
    await raw.close()
  }
}

/** fs: get of the latest version and list() with one name of `versions` versions vs one of a single version. */
async function latestTimes(tree: DecisionTreeClassifier, versions: number): Promise<{ get: [number, number]; list: [number, number] }> {
  const few = benchDir('bench-fast-latest-few-')
  const many = benchDir('bench-fast-latest-many-')
  await withOmega(FS.make(few, true), (om) => om.models.put(tree, 'm').then(() => undefined))
  await withOmega(FS.make(many, true), async (om) => {
    for (let v = 0; v < versions; v++) await om.models.put(tree, 'm')
  })
  flush()
  const a = await Omega.open({ store: FS.make(few) })
  const b = await Omega.open({ store: FS.make(many) })
  try {
    const [get1, getN] = await alternate(100, 10, () => a.models.get('m'), () => b.models.get('m'))
    const [list1, listN] = await alternate(30, 3, () => a.models.list(), () => b.models.list())
    return { get: [p50(getN), p50(get1)], list: [p50(listN), p50(list1)] }
  } finally {
    await a.close()
    await b.close()
  }
}

/** Median and spread of per-round values. */
function spread(values: readonly number[], digits = 2): string {
  const sorted = [...values].sort((x, y) => x - y)
  const med = p50(sorted)
  return sorted.length === 1 ? med.toFixed(digits) : `${med.toFixed(digits)} (${sorted[0]!.toFixed(digits)}–${sorted.at(-1)!.toFixed(digits)})`
}

export async function faststoreScope(): Promise<Row[]> {
  const { X, y } = loadIris()
  const tree = new DecisionTreeClassifier({ maxDepth: 6 })
  tree.train(X, y)
  const table = tenColumns(TABLE_ROWS)
  const rawFile = join(benchDir('bench-fast-raw-fs-'), 't.arrow')
  await writeFile(rawFile, tableToIPC(table, 'stream'))

  const acc: Record<string, { ratios: number[]; detail: string[] }> = {}
  const record = (key: string, ratio: number, detail: string): void => {
    ;(acc[key] ??= { ratios: [], detail: [] }).ratios.push(ratio)
    acc[key]!.detail.push(detail)
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of runs('table') ? [LEVEL, FS] : []) {
      const [omega, raw] = await tableGet(b, table, rawFile)
      record(`table-${b.name}`, raw / omega, `${ms(omega)} / ${ms(raw)}`)
    }
    for (const b of runs('drop') ? [LEVEL, FS] : []) {
      const few = await dropTimes(b, 10, tree)
      const many = await dropTimes(b, OTHERS, tree)
      record(`drop-${b.name}`, many.dataset / few.dataset, `${ms(many.dataset)} / ${ms(few.dataset)}`)
      record(`dropm-${b.name}`, many.model / few.model, `${ms(many.model)} / ${ms(few.model)}`)
    }
    for (const b of runs('glob') ? [LEVEL, FS, FS_NOSYNC] : []) {
      const t = await globDrop(b, GLOB)
      record(`glob-${b.name}`, t / 1000, ms(t))
    }
    if (runs('small')) {
      const [omega, raw] = await smallPutGet(tree)
      record('small', omega / raw, `${ms(omega)} / ${ms(raw)}`)
    }
    if (runs('latest')) {
      const latest = await latestTimes(tree, VERSIONS)
      record('latest', latest.get[0] / latest.get[1], `${ms(latest.get[0])} / ${ms(latest.get[1])}`)
      record('list', latest.list[0] / latest.list[1], `${ms(latest.list[0])} / ${ms(latest.list[1])}`)
    }
  }
  const row = (figure: string, goal: string, key: string, unit: string, what: string): Row | undefined =>
    acc[key] && {
      figure,
      goal,
      [`measured (median of ${ROUNDS}, min–max)`]: `${spread(acc[key].ratios)}${unit}`,
      'ms per round': `${acc[key].detail.join('; ')} (${what})`,
    }
  const rows = [
    row(`${(TABLE_ROWS * 80) / 1e6} MB verified table get vs readFile+tableFromIPC, level`, '≥ 0.7×', 'table-level', '×', 'omega / raw'),
    row(`${(TABLE_ROWS * 80) / 1e6} MB verified table get vs readFile+tableFromIPC, fs`, '≥ 0.7×', 'table-fs', '×', 'omega / raw'),
    row(`dataset drop with ${OTHERS.toLocaleString('en')} vs 10 other objects, level`, '≤ 2×', 'drop-level', '×', `${OTHERS} / 10`),
    row(`dataset drop with ${OTHERS.toLocaleString('en')} vs 10 other objects, fs`, '≤ 2×', 'drop-fs', '×', `${OTHERS} / 10`),
    row(`model drop with ${OTHERS.toLocaleString('en')} vs 10 other objects, level`, '≤ 2×', 'dropm-level', '×', `${OTHERS} / 10`),
    row(`model drop with ${OTHERS.toLocaleString('en')} vs 10 other objects, fs`, '≤ 2×', 'dropm-fs', '×', `${OTHERS} / 10`),
    row(`glob drop of ${GLOB.toLocaleString('en')} objects, level`, '≤ 2 s', 'glob-level', ' s', 'ms'),
    row(`glob drop of ${GLOB.toLocaleString('en')} objects, fs`, '≤ 2 s', 'glob-fs', ' s', 'ms'),
    row(`glob drop of ${GLOB.toLocaleString('en')} objects, fs (no fsync)`, '≤ 2 s', 'glob-fs (no fsync)', ' s', 'ms'),
    row('small model put+get, LevelDB vs raw classic-level put+get', '≤ 3×', 'small', '×', 'omega p50 / raw p50'),
    row(`get latest at ${VERSIONS.toLocaleString('en')} vs 1 versions, fs`, '≤ 1.5×', 'latest', '×', `${VERSIONS} / 1`),
    row(`list() at ${VERSIONS.toLocaleString('en')} vs 1 versions, fs`, 'no version document read', 'list', '×', `${VERSIONS} / 1`),
  ].filter((r): r is Row => r !== undefined)
  printTable(`Fast paths: store (${ROUNDS} rounds; fs with fsync unless filling)`, rows)
  return rows
}
