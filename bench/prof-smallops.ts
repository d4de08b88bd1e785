// Profiling driver (not a bench scope): small model put+get on LevelDB, to see where its time goes.
// `node --import tsx bench/prof-smallops.ts [puts]` prints every LevelDB call of one put+get (the
// database's methods are wrapped here, not in src) and the median put+get next to raw classic-level;
// PROF=file.cpuprofile writes a CPU profile of the timed loop.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { ClassicLevel } from 'classic-level'
import { DecisionTreeClassifier } from 'ml-cart'
import { LevelBackend, Omega } from '@omega/omega'
import { loadIris } from './data.js'
import { p50 } from './stats.js'
import { benchDir } from './temp-dir.js'

const puts = Number(process.argv[2] ?? 400)
const { X, y } = loadIris()
const tree = new DecisionTreeClassifier({ maxDepth: 6 })
tree.train(X, y)
const bytes = new TextEncoder().encode(JSON.stringify({ fitted: true, model: tree.toJSON() }))

const backend = new LevelBackend(benchDir('prof-smallops-'))
const calls: string[] = []
const db = backend.db as unknown as Record<string, (...args: unknown[]) => unknown>
for (const method of ['get', 'getSync', 'getMany', 'put', 'del', 'batch', 'iterator', 'keys', 'values']) {
  const original = db[method]!.bind(db)
  db[method] = (...args: unknown[]) => {
    const first = args[0]
    const what = typeof first === 'string' ? first : Array.isArray(first) ? first.map((o) => (typeof o === 'string' ? o : `${(o as { type: string }).type} ${(o as { key: string }).key}`)).join(', ') : JSON.stringify(first)
    calls.push(`${method}(${what.length > 110 ? `${what.slice(0, 110)}…` : what})`)
    return original(...args)
  }
}
const om = await Omega.open({ store: backend })
const raw = new ClassicLevel<string, Uint8Array>(benchDir('prof-smallops-raw-'), { valueEncoding: 'view' })
await raw.open()
for (let i = 0; i < 40; i++) {
  await om.models.put(tree, 'tree')
  await om.models.get('tree')
}
for (const [label, fn] of [
  ['put', () => om.models.put(tree, 'tree')],
  ['get', () => om.models.get('tree')],
] as const) {
  calls.length = 0
  await fn()
  console.log(`${label}: ${calls.length} LevelDB calls\n  ${calls.join('\n  ')}`)
}

const inspector = new Session()
inspector.connect()
const steps: [string, object?][] = [['Profiler.enable'], ['Profiler.setSamplingInterval', { interval: 50 }], ['Profiler.start']]
if (process.env.PROF) for (const [step, params] of steps) await inspector.post(step as 'Profiler.start', params as never)
const omega: number[] = []
const base: number[] = []
for (let i = 0; i < puts; i++) {
  let t0 = performance.now()
  await om.models.put(tree, 'tree')
  await om.models.get('tree')
  omega.push(performance.now() - t0)
  t0 = performance.now()
  await raw.put(`k${i}`, bytes)
  await raw.get(`k${i}`)
  base.push(performance.now() - t0)
}
if (process.env.PROF) {
  const { profile } = await inspector.post('Profiler.stop')
  writeFileSync(process.env.PROF, JSON.stringify(profile))
}
console.log(`put+get p50: omega ${p50(omega).toFixed(3)} ms, raw ${p50(base).toFixed(3)} ms, ratio ${(p50(omega) / p50(base)).toFixed(2)}×`)
// The parts of a put+get, each timed alone (p50 of `puts` calls).
const parts: [string, () => Promise<unknown> | unknown][] = [
  ['omega put', () => om.models.put(tree, 'tree')],
  ['omega get', () => om.models.get('tree')],
  ['raw put+get', async () => {
    await raw.put('k', bytes)
    await raw.get('k')
  }],
  ['serialise+deserialise alone (toJSON, stringify, parse, load)', () => DecisionTreeClassifier.load(JSON.parse(JSON.stringify({ fitted: true, model: tree.toJSON() })).model)],
]
for (const [label, fn] of parts) {
  const t: number[] = []
  for (let i = 0; i < puts; i++) {
    const t0 = performance.now()
    await fn()
    t.push(performance.now() - t0)
  }
  console.log(`${label}: ${p50(t).toFixed(3)} ms`)
}
await om.close()
await raw.close()
