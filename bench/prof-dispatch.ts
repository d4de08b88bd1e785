// Profiling driver (not a bench scope): hot ONNX batch-1 predicts, to see where a runtime call's
// microseconds go. `node --import tsx bench/prof-dispatch.ts inline|pool [calls] [concurrent]`;
// PROF=file.cpuprofile writes a main-thread CPU profile of the timed part only (no module loading).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { Session } from 'node:inspector/promises'
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node'
import { LevelBackend, Omega, Tensor } from '@omega/omega'

const runtime = (process.argv[2] ?? 'inline') as 'inline' | 'pool'
const calls = Number(process.argv[3] ?? 20000)
const concurrent = process.argv[4] === 'concurrent'
const bytes = new Uint8Array(readFileSync(new URL('../fixtures/onnx/mlp_breast_cancer.onnx', import.meta.url)))
const om = await Omega.open({ store: new LevelBackend(mkdtempSync(join(tmpdir(), 'prof-'))), runtime, threads: 2 })
await om.models.put(bytes, 'mlp')
const x = Float32Array.from({ length: 30 }, (_, i) => 10 + i)
const model = om.runtime.model('mlp')
const predict = (): Promise<unknown> => model.predict(new Tensor('float32', [1, 30], x))
for (let i = 0; i < 500; i++) await predict()

const inspector = new Session()
inspector.connect()
if (process.env.PROF) {
  await inspector.post('Profiler.enable')
  await inspector.post('Profiler.setSamplingInterval', { interval: 50 })
  await inspector.post('Profiler.start')
}
/** Wall and CPU (all threads of the process) milliseconds of fn. */
async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const c = process.cpuUsage(c0)
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 }
}
const perCall = (ms: number, n: number): string => ((ms * 1000) / n).toFixed(1)
if (!concurrent) {
  const t = await timed(async () => {
    for (let i = 0; i < calls; i++) await predict()
  })
  console.log(`${runtime}: ${perCall(t.wall, calls)} µs/call, ${perCall(t.cpu, calls)} µs CPU/call (all threads)`)
} else {
  const session = await InferenceSession.create(bytes)
  for (let round = 0; round < 5; round++) {
    const raw = await timed(async () => {
      for (let i = 0; i < 4000; i++) await session.run({ X: new OrtTensor('float32', x, [1, 30]) })
    })
    const omega = await timed(() => Promise.all(Array.from({ length: 4000 }, predict)))
    console.log(`4000 calls: raw sequential ${raw.wall.toFixed(0)} ms (CPU ${raw.cpu.toFixed(0)}), ${runtime} concurrent ${omega.wall.toFixed(0)} ms (CPU ${omega.cpu.toFixed(0)})`)
  }
  await session.release()
}
if (process.env.PROF) {
  const { profile } = await inspector.post('Profiler.stop')
  writeFileSync(process.env.PROF, JSON.stringify(profile))
}
await om.close()
