// TensorFlow.js: omega's fit and predict (runtime inline and on the pool) vs the same tfjs calls made
// directly in this process, on the cpu backend and (if it loads) wasm; tensors alive across calls.
import { mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import * as tf from '@tensorflow/tfjs'
import { LevelBackend, Omega, Tensor } from '@omega/omega'
import { ms, p50, printTable, ratio, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const FITS = Number(process.env.BENCH_FITS ?? 5)
const PREDICTS = Number(process.env.BENCH_N ?? 100)
const FIT = { epochs: 20, batchSize: 32 }

/** The breast-cancer fixture, features standardised: 569 rows × 30, target 0/1. */
function breastCancer(): { records: Record<string, number>[]; X: number[][]; y: number[] } {
  const [header, ...body] = parse(readFileSync(new URL('../fixtures/datasets/breast_cancer.csv', import.meta.url)), { cast: true }) as [string[], ...number[][]]
  const t = header.indexOf('target')
  const raw = body.map((r) => r.filter((_, j) => j !== t))
  const cols = raw[0]!.map((_, j) => {
    const v = raw.map((r) => r[j]!)
    const mean = v.reduce((a, b) => a + b, 0) / v.length
    return { mean, sd: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) || 1 }
  })
  const X = raw.map((r) => r.map((v, j) => (v - cols[j]!.mean) / cols[j]!.sd))
  const y = body.map((r) => r[t]!)
  const names = header.filter((h) => h !== 'target')
  return { X, y, records: X.map((r, i) => ({ ...Object.fromEntries(names.map((n, j) => [n, r[j]!])), target: y[i]! })) }
}

/** The 2-hidden-layer MLP of the issue: 30 → 16 → 8 → 1. */
function mlp(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, inputShape: [30], activation: 'relu' }),
      tf.layers.dense({ units: 8, activation: 'relu' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  })
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] })
  return model
}

/** Alternates omega and direct calls; per-pair ratios give the spread. */
async function paired(n: number, warmup: number, omega: () => Promise<unknown>, direct: () => Promise<unknown>): Promise<{ o: number[]; d: number[]; r: number[] }> {
  const o: number[] = []
  const d: number[] = []
  for (let i = 0; i < n + warmup; i++) {
    const t0 = performance.now()
    await direct()
    const t1 = performance.now()
    await omega()
    const t2 = performance.now()
    if (i >= warmup) {
      d.push(t1 - t0)
      o.push(t2 - t1)
    }
  }
  return { o, d, r: o.map((v, i) => v / d[i]!) }
}

const spread = (r: number[]): string => `${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)}`

async function wasmLoads(): Promise<boolean> {
  try {
    await import('@tensorflow/tfjs-backend-wasm')
    return await tf.setBackend('wasm')
  } catch {
    return false
  }
}

export async function tfjsScope(): Promise<Row[]> {
  const dir = benchDir('bench-tfjs-')
  const { records, X, y } = breastCancer()
  const backends = ['cpu', ...((await wasmLoads()) ? ['wasm'] : [])]
  const fitRows: Row[] = []
  const predictRows: Row[] = []
  const leakRows: Row[] = []
  const batch = Float32Array.from({ length: 1000 * 30 }, (_, i) => X[Math.floor(i / 30) % X.length]![i % 30]!)
  for (const backend of backends) {
    // Workers read the backend at start; this thread's is set directly.
    process.env.OMEGA_TFJS_BACKEND = backend
    await tf.setBackend(backend)
    for (const runtime of ['inline', 'pool'] as const) {
      const om = await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 's-'))), runtime, threads: 2 })
      await om.datasets.put(records, 'bc')
      const initial = mlp()
      await om.models.put(initial, 'mlp')
      const xs = (): tf.Tensor => tf.tensor2d(X)
      const ys = (): tf.Tensor => tf.tensor2d(y, [y.length, 1])
      // Direct: what an application does without omega (its data already in memory as arrays).
      const direct = async (): Promise<void> => {
        const model = mlp()
        const [a, b] = [xs(), ys()]
        await model.fit(a, b, { ...FIT, verbose: 0 })
        tf.dispose([a, b])
        model.optimizer.dispose()
        model.dispose()
      }
      // Every fit starts from version 1, so each does the same work; each stores a new version.
      const viaOmega = (): Promise<unknown> => om.runtime.model('mlp@1').fit('bc[^target]', 'bc[target]', { params: FIT })
      // Warm-up: one fit per worker (tfjs loads there on first use).
      const fit = await paired(FITS, runtime === 'pool' ? 2 : 1, viaOmega, direct)
      fitRows.push({ backend, runtime, 'omega p50 ms': ms(p50(fit.o)), 'direct p50 ms': ms(p50(fit.d)), 'ratio p50': ratio(p50(fit.r), 1), 'ratio min–max': spread(fit.r) })

      const model = (await om.models.get('mlp')) as tf.LayersModel
      const tensor = new Tensor('float32', [1000, 30], batch)
      const pred = await paired(PREDICTS, 10, () => om.runtime.model('mlp').predict(tensor), async () => tf.tidy(() => (model.predict(tf.tensor2d(batch, [1000, 30])) as tf.Tensor).dataSync()))
      predictRows.push({ backend, runtime, 'omega p50 ms': ms(p50(pred.o)), 'direct p50 ms': ms(p50(pred.d)), 'ratio p50': ratio(p50(pred.r), 1), 'ratio min–max': spread(pred.r) })
      model.dispose()
      initial.dispose()

      if (runtime === 'inline') {
        const before = tf.memory().numTensors
        for (let i = 0; i < 100; i++) await om.runtime.model('mlp').predict(tensor)
        const afterPredicts = tf.memory().numTensors
        for (let i = 0; i < 3; i++) await viaOmega()
        leakRows.push({ backend, 'tensors before': before, 'after 100 predicts': afterPredicts, 'after 3 more fits': tf.memory().numTensors })
      }
      await om.close()
    }
  }
  printTable(`TensorFlow.js fit: 30-16-8-1 MLP, breast cancer (569 rows, standardised), ${FIT.epochs} epochs, batch ${FIT.batchSize}; omega (dataset by name → fit → new version stored) vs model.fit on in-memory arrays in this process; n=${FITS} pairs`, fitRows)
  printTable(`TensorFlow.js predict, batch 1000 × 30 (Tensor in, Tensor out) vs model.predict + dataSync in this process; n=${PREDICTS} pairs`, predictRows)
  printTable('TensorFlow.js tensors alive on this thread (runtime inline; tf.memory().numTensors)', leakRows)
  delete process.env.OMEGA_TFJS_BACKEND
  return [...fitRows, ...predictRows, ...leakRows]
}
