// Profiling driver (not a bench scope): hot predicts in a loop, for `node --cpu-prof`.
import { mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { LevelBackend, Omega, Tensor } from '@omega/omega'

const runtime = (process.argv[2] ?? 'inline') as 'inline' | 'pool'
const N = Number(process.argv[3] ?? 20000)
const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/mlp_breast_cancer.onnx', import.meta.url)))
const om = await Omega.open({ store: new LevelBackend(mkdtempSync(join(tmpdir(), 'prof-'))), runtime, threads: 2 })
await om.models.put(bytes, 'mlp')
const x = Float32Array.from({ length: 30 }, (_, i) => 10 + i)
const model = om.runtime.model('mlp')
for (let i = 0; i < 500; i++) await model.predict(new Tensor('float32', [1, 30], x))
const session = new Session()
session.connect()
if (process.env.PROF && process.argv[4] !== 'concurrent') await startProfile()
async function startProfile(): Promise<void> { await session.post('Profiler.enable'); await session.post('Profiler.setSamplingInterval', { interval: 50 }); await session.post('Profiler.start') }
if (process.env.PROF && process.argv[4] === 'concurrent') await startProfile()
const t0 = performance.now()
for (let i = 0; i < N; i++) await model.predict(new Tensor('float32', [1, 30], x))
console.log(runtime, ((performance.now() - t0) * 1000 / N).toFixed(1), 'µs/call')
if (process.env.PROF && process.argv[4] !== 'concurrent') { const { profile } = await session.post('Profiler.stop'); writeFileSync(process.env.PROF, JSON.stringify(profile)) }
if (process.argv[4] === 'concurrent') {
  const { InferenceSession, Tensor: OrtTensor } = await import('onnxruntime-node')
  const session = await InferenceSession.create(bytes)
  for (let r = 0; r < 5; r++) {
    let c0 = process.cpuUsage()
    let t1 = performance.now()
    for (let i = 0; i < 4000; i++) await session.run({ X: new OrtTensor('float32', x, [1, 30]) })
    let c = process.cpuUsage(c0)
    console.log('raw 4000 sequential', (performance.now() - t1).toFixed(0), 'ms; cpu', ((c.user + c.system) / 1000).toFixed(0), 'ms')
    c0 = process.cpuUsage()
    t1 = performance.now()
    await Promise.all(Array.from({ length: 4000 }, () => model.predict(new Tensor('float32', [1, 30], x))))
    c = process.cpuUsage(c0)
    console.log('4000 concurrent', (performance.now() - t1).toFixed(0), 'ms; cpu', ((c.user + c.system) / 1000).toFixed(0), 'ms')
  }
  if (process.env.PROF) { const { profile } = await session.post('Profiler.stop'); writeFileSync(process.env.PROF, JSON.stringify(profile)) }
}
await om.close()
