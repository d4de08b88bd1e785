// Small-model put+get on each backend, next to the raw library doing the same byte work.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { DecisionTreeClassifier } from 'ml-cart'
import { FsBackend, LevelBackend, MemoryBackend, Omega, type StorageBackend } from '@omega/omega'
import { loadIris } from './data.js'
import { ms, p50, p99, printTable, ratio, sample, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const N = Number(process.env.BENCH_N ?? 400)
const WARMUP = 40

function model(): DecisionTreeClassifier {
  const { X, y } = loadIris()
  const tree = new DecisionTreeClassifier({ maxDepth: 6 })
  tree.train(X, y)
  return tree
}

async function omegaPutGet(backend: StorageBackend, tree: DecisionTreeClassifier): Promise<number[]> {
  const om = await Omega.open({ store: backend })
  try {
    return await sample(N, WARMUP, async () => {
      await om.models.put(tree, 'tree')
      await om.models.get('tree')
    })
  } finally {
    await om.close()
  }
}

export async function storeScope(): Promise<Row[]> {
  const tree = model()
  const bytes = new TextEncoder().encode(JSON.stringify({ fitted: true, model: tree.toJSON() }))
  const dir = (p: string): string => benchDir(p)

  const rawLevelDb = new ClassicLevel<string, Uint8Array>(dir('bench-raw-level-'), { valueEncoding: 'view' })
  await rawLevelDb.open()
  const rawLevel = await sample(N, WARMUP, async (i) => {
    await rawLevelDb.put(`k${i}`, bytes)
    await rawLevelDb.get(`k${i}`)
  })
  await rawLevelDb.close()
  const rawDir = dir('bench-raw-fs-')
  const rawFs = await sample(N, WARMUP, async (i) => {
    await writeFile(join(rawDir, `k${i}`), bytes)
    await readFile(join(rawDir, `k${i}`))
  })
  const rawSerialize = await sample(N, WARMUP, () => DecisionTreeClassifier.load(JSON.parse(JSON.stringify(tree.toJSON()))))

  const level = await omegaPutGet(new LevelBackend(dir('bench-level-')), tree)
  const fsSync = await omegaPutGet(new FsBackend(dir('bench-fs-')), tree)
  const fsNoSync = await omegaPutGet(new FsBackend(dir('bench-fs-'), { fsync: false }), tree)
  const memory = await omegaPutGet(new MemoryBackend(), tree)

  const row = (backend: string, omega: number[], baseline: string, raw: number[]): Row => ({
    backend,
    'omega p50 ms': ms(p50(omega)),
    'omega p99 ms': ms(p99(omega)),
    baseline,
    'raw p50 ms': ms(p50(raw)),
    'raw p99 ms': ms(p99(raw)),
    'ratio p50': ratio(p50(omega), p50(raw)),
  })
  const rows = [
    row('level', level, 'classic-level put+get', rawLevel),
    row('fs (fsync)', fsSync, 'fs.writeFile+readFile', rawFs),
    row('fs (no fsync)', fsNoSync, 'fs.writeFile+readFile', rawFs),
    row('memory', memory, 'toJSON+stringify+parse+load', rawSerialize),
  ]
  printTable(`Small model put+get (ml-cart tree on iris, ${bytes.byteLength} bytes stored, n=${N})`, rows)
  return rows
}

export async function versionsScope(): Promise<Row[]> {
  const tree = model()
  const rows: Row[] = []
  const dir = (p: string): string => benchDir(p)
  for (const [name, make] of [
    ['level', () => new LevelBackend(dir('bench-v-level-'))],
    ['fs (fsync)', () => new FsBackend(dir('bench-v-fs-'))],
  ] as const) {
    const om = await Omega.open({ store: make() })
    const REPEATS = 8
    const first: number[] = []
    const hundredth: number[] = []
    for (let r = 0; r < REPEATS; r++) {
      for (let v = 1; v <= 100; v++) {
        const t0 = process.hrtime.bigint()
        await om.models.put(tree, `m${r}`)
        const t = Number(process.hrtime.bigint() - t0) / 1e6
        if (v <= 5) first.push(t)
        if (v > 95) hundredth.push(t)
      }
    }
    await om.close()
    rows.push({
      backend: name,
      'puts 1-5 p50 ms': ms(p50(first)),
      'puts 96-100 p50 ms': ms(p50(hundredth)),
      'ratio (100th / 1st)': ratio(p50(hundredth), p50(first)),
    })
  }
  printTable('Put of the 100th version vs the first (8 names × 100 versions)', rows)
  return rows
}
