// Profiling driver (not a bench scope): RF batch-1000 predict throughput, 1 vs 2 pool threads.
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { RandomForestClassifier } from 'ml-random-forest'
import { LevelBackend, Omega } from '@omega/omega'
import { loadIris } from './data.js'

const { X, y } = loadIris()
const rows: number[][] = []
const labels: number[] = []
for (let i = 0; i < 3000; i++) {
  rows.push(X[i % X.length]!.map((v) => v + Math.sin(i * 7 + v) * 0.1))
  labels.push(y[i % X.length]!)
}
const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
rf.train(rows, labels)
const batch = rows.slice(0, 1000)
let t = performance.now()
for (let i = 0; i < 20; i++) rf.predict(batch)
console.log('raw rf.predict(1000) ms', ((performance.now() - t) / 20).toFixed(2))
const TASKS = Number(process.argv[2] ?? 100)
for (const threads of [1, 2, 1, 2]) {
  const om = await Omega.open({ store: new LevelBackend(mkdtempSync(join(tmpdir(), 'prof-rf-'))), runtime: 'pool', threads })
  await om.models.put(rf, 'rf')
  await Promise.all(Array.from({ length: 8 }, () => om.runtime.model('rf').predict(batch)))
  const cpu0 = process.cpuUsage()
  t = performance.now()
  await Promise.all(Array.from({ length: TASKS }, () => om.runtime.model('rf').predict(batch)))
  const took = performance.now() - t
  const cpu = process.cpuUsage(cpu0)
  console.log(`threads ${threads}: ${took.toFixed(0)} ms, ${(took / TASKS).toFixed(2)} ms/task; main-thread+workers cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`)
  await om.close()
}
