// ONNX: omega's predict (model object, inline and pooled runtime) vs a bare InferenceSession.run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node'
import { LevelBackend, Omega, Tensor, type BatchingOptions } from '@omega/omega'
import type { OnnxModel } from '@omega/onnx'
import { ms, p50, p99, printTable, quantile, ratio, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const N = Number(process.env.BENCH_N ?? 400)
const CONCURRENT = 4000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const MODEL = new URL('../fixtures/onnx/mlp_breast_cancer.onnx', import.meta.url)
/** Parts to run (`BENCH_ONNX_PARTS=floor,hot,concurrent,cold`, default all). */
const PARTS = new Set((process.env.BENCH_ONNX_PARTS ?? 'floor,hot,concurrent,cold').split(','))
/**
 * Batching settings the concurrent part sweeps: `maxBatch:maxDelayMs` pairs, `default` (the pool's
 * defaults) and `off`, e.g. `BENCH_ONNX_SWEEP=default,16:0,64:0,256:0,256:1,off`.
 */
const SWEEP = (process.env.BENCH_ONNX_SWEEP ?? 'default,32:0,1024:0,off').split(',')

export async function onnxScope(): Promise<Row[]> {
  const dir = benchDir('bench-onnx-')
  const bytes = new Uint8Array(readFileSync(MODEL))
  const session = await InferenceSession.create(bytes)
  const batches: Record<string, Float32Array> = {
    1: Float32Array.from({ length: 30 }, (_, i) => 10 + i),
    1000: Float32Array.from({ length: 30_000 }, (_, i) => 5 + (i % 30) + (i % 7) / 10),
  }
  const rows: Row[] = []
  const measure = async (label: string, batch: string, omega: () => Promise<unknown>): Promise<void> => {
    const data = batches[batch]!
    const raw = (): Promise<unknown> => session.run({ X: new OrtTensor('float32', data, [data.length / 30, 30]) })
    const r: number[] = []
    const t: number[] = []
    const n = batch === '1' ? N : N / 4
    for (let i = 0; i < n + 50; i++) {
      const t0 = performance.now()
      await raw()
      const t1 = performance.now()
      await omega()
      const t2 = performance.now()
      if (i >= 50) {
        r.push(t1 - t0)
        t.push(t2 - t1)
      }
    }
    rows.push({ via: label, batch, 'omega p50 ms': ms(p50(t)), 'omega p99 ms': ms(p99(t)), 'raw p50 ms': ms(p50(r)), 'raw p99 ms': ms(p99(r)), 'ratio p50': ratio(p50(t), p50(r)), 'overhead p50 µs': ((p50(t) - p50(r)) * 1000).toFixed(0) })
  }
  const tensor = (b: string): Tensor => new Tensor('float32', [batches[b]!.length / 30, 30], batches[b]!)

  if (PARTS.has('hot')) {
    const inline = await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 's-'))), runtime: 'inline' })
    await inline.models.put(bytes, 'mlp')
    const model = (await inline.models.get('mlp')) as OnnxModel
    for (const b of ['1', '1000']) await measure('om.models.get(…).predict', b, () => model.predict(tensor(b)))
    for (const b of ['1', '1000']) await measure('runtime inline', b, () => inline.runtime.model('mlp').predict(tensor(b)))
    await model.close()
    await inline.close()
  }
  const pool = await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 's-'))), runtime: 'pool', threads: 2 })
  await pool.models.put(bytes, 'mlp')
  if (PARTS.has('floor')) rows.push(...(await floor(session, batches[1]!, () => pool.runtime.model('mlp').predict(tensor('1')))))
  if (PARTS.has('hot')) for (const b of ['1', '1000']) await measure('runtime pool', b, () => pool.runtime.model('mlp').predict(tensor(b)))
  printTable(`ONNX hot predict: fixture MLP (30-32-16-2), Tensor input, vs a bare InferenceSession.run in the same process; calls alternate; n=${N} (batch 1), ${N / 4} (batch 1000)`, rows)

  // Many callers at once: the pool merges concurrent 1-row predicts (dynamic batching). The raw
  // side is the plain sequential loop an application would write with one session.
  const one = batches[1]!
  const rawSequential = async (): Promise<number> => {
    const t0 = performance.now()
    for (let i = 0; i < CONCURRENT; i++) await session.run({ X: new OrtTensor('float32', one, [1, 30]) })
    return performance.now() - t0
  }
  const concurrent = async (batching?: BatchingOptions | false): Promise<number> => {
    const t0 = performance.now()
    await Promise.all(Array.from({ length: CONCURRENT }, () => pool.runtime.model('mlp').predict(tensor('1'), batching === undefined ? {} : { batching })))
    return performance.now() - t0
  }
  const sweep: Row[] = []
  const ratios: Record<string, number[]> = {}
  if (PARTS.has('concurrent')) {
    await concurrent()
    const settings = SWEEP.map((s): [string, BatchingOptions | false | undefined] => {
      if (s === 'default') return ['default (pool)', undefined]
      if (s === 'off') return ['off', false]
      const [maxBatch, maxDelayMs] = s.split(':').map(Number)
      return [`maxBatch ${maxBatch}, maxDelayMs ${maxDelayMs ?? 0}`, { maxBatch: maxBatch!, maxDelayMs: maxDelayMs ?? 0 }]
    })
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, batching] of settings) {
        if (batching === false && round > 1) continue
        const raw = await rawSequential()
        const omega = await concurrent(batching)
        ;(ratios[label] ??= []).push(raw / omega)
      }
    }
    for (const [label] of settings) {
      const r = ratios[label]!
      sweep.push({ batching: label, runs: r.length, 'calls/s vs raw, median': `${p50(r).toFixed(2)}×`, 'min–max': `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}×` })
    }
    printTable(`${CONCURRENT.toLocaleString('en')} concurrent 1-row predicts on the pool (2 threads) vs a sequential session.run loop, calls/s ratio (rounds alternate; BENCH_ONNX_SWEEP sets the sweep)`, sweep)
  }
  await pool.close()
  const overhead = (via: string): string => {
    const row = rows.find((r) => r.via === via && r.batch === '1')
    return row ? `+${row['overhead p50 µs']} µs` : 'not run'
  }
  const floorPool = rows.find((r) => String(r.via).startsWith('floor: raw Piscina task: 1 row'))
  printTable('Goals (issue 12): ONNX runtime fast paths, this run', [
    { figure: 'ONNX batch-1 predict inline, p50 over raw', goal: '≤ +50 µs', measured: overhead('runtime inline'), floor: '' },
    { figure: 'ONNX batch-1 predict pool, p50 over raw', goal: '≤ +150 µs', measured: overhead('runtime pool'), floor: floorPool ? `+${floorPool['overhead p50 µs']} µs (bare Piscina task running the model)` : '' },
    { figure: `${CONCURRENT.toLocaleString('en')} concurrent 1-row predicts, pool vs raw sequential calls/s`, goal: '≥ 1.0×', measured: ratios['default (pool)'] ? `${p50(ratios['default (pool)']).toFixed(2)}×` : 'not run', floor: '' },
  ])
  rows.push(...sweep)
  if (!PARTS.has('cold')) {
    await session.release()
    rmSync(dir, { recursive: true, force: true })
    return rows
  }

  // Cold start: put, then the first predict (session creation included) vs bare create + run.
  const cold: number[] = []
  const bare: number[] = []
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now()
    const s = await InferenceSession.create(bytes)
    await s.run({ X: new OrtTensor('float32', batches[1]!, [1, 30]) })
    const t1 = performance.now()
    await s.release()
    const om = await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 'c-'))), runtime: 'inline' })
    const t2 = performance.now()
    await om.models.put(bytes, 'mlp')
    await om.runtime.model('mlp').predict(tensor('1'))
    const t3 = performance.now()
    await om.close()
    bare.push(t1 - t0)
    cold.push(t3 - t2)
  }
  const coldRows: Row[] = [{ what: 'put + first predict (validating session, store, new session, run)', 'p50 ms': ms(p50(cold)), 'bare create + run ms': ms(p50(bare)), ratio: ratio(p50(cold), p50(bare)) }]
  printTable('ONNX cold start (10 runs)', coldRows)
  rmSync(dir, { recursive: true, force: true })
  return [...rows, ...coldRows]
}

/** The Piscina omega's pool runs on (resolved through omega's packages: the bench does not depend on it). */
function piscinaClass(): new (options: object) => { run(task: unknown): Promise<unknown>; destroy(): Promise<void> } {
  const fromOmega = createRequire(createRequire(import.meta.url).resolve('@omega/omega'))
  return (createRequire(fromOmega.resolve('@omega/pool'))('piscina') as { Piscina: never }).Piscina
}

/**
 * What any pool call pays before omega does anything: a bare worker_threads postMessage round trip,
 * a bare Piscina task round trip (echo), and the same two running the model on one row in the worker
 * (single-threaded session, as omega's workers have), and omega's pool predict in the same loop.
 * Calls alternate with a raw session.run.
 */
async function floor(session: InferenceSession, one: Float32Array, pool: () => Promise<unknown>): Promise<Row[]> {
  const url = new URL('./floor-worker.mjs', import.meta.url)
  const worker = new Worker(url, { workerData: { raw: true } })
  const Piscina = piscinaClass()
  const piscina = new Piscina({ filename: url.href, minThreads: 1, maxThreads: 1 })
  const roundTrip = (message: unknown): Promise<unknown> =>
    new Promise((resolve) => {
      worker.once('message', resolve)
      worker.postMessage(message)
    })
  const cases: [string, () => Promise<unknown>][] = [
    ['raw worker_threads postMessage round trip (echo)', () => roundTrip('echo')],
    ['raw Piscina task round trip (echo)', () => piscina.run('echo')],
    ['raw worker thread: post 1 row, session.run there, post back', () => roundTrip(one)],
    ['raw Piscina task: 1 row, session.run in the worker', () => piscina.run(one)],
    // omega's pool in the same loop, so it sees the same machine as its floor.
    ['omega runtime pool predict, 1 row (in this loop)', pool],
  ]
  const raw = (): Promise<unknown> => session.run({ X: new OrtTensor('float32', one, [1, 30]) })
  const r: number[] = []
  const t: number[][] = cases.map(() => [])
  for (let i = 0; i < N + 100; i++) {
    const t0 = performance.now()
    await raw()
    if (i >= 100) r.push(performance.now() - t0)
    for (const [j, [, fn]] of cases.entries()) {
      const t1 = performance.now()
      await fn()
      if (i >= 100) t[j]!.push(performance.now() - t1)
    }
  }
  await worker.terminate()
  await piscina.destroy()
  const q = (s: number[], x: number): number => quantile(s, x) * 1000
  return cases.map(([label], j) => ({
    via: label.startsWith('omega') ? label : `floor: ${label}`,
    batch: label.includes('1 row') ? '1' : '—',
    'omega p50 ms': ms(p50(t[j]!)),
    'omega p99 ms': ms(p99(t[j]!)),
    'raw p50 ms': ms(p50(r)),
    'raw p99 ms': ms(p99(r)),
    'ratio p50': ratio(p50(t[j]!), p50(r)),
    // Echo rows have no raw counterpart: their column holds the round trip itself, with its spread.
    'overhead p50 µs': label.includes('1 row') ? ((p50(t[j]!) - p50(r)) * 1000).toFixed(0) : `round trip ${q(t[j]!, 0.5).toFixed(0)} (p25–p75 ${q(t[j]!, 0.25).toFixed(0)}–${q(t[j]!, 0.75).toFixed(0)})`,
  }))
}
