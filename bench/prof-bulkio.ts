// Profiling driver (not a bench scope): the 80 MB verified table get and the glob drop of issue 12.
// `node --import tsx bench/prof-bulkio.ts get level|fs [rounds]` or `… glob level|fs|fs-nosync [objects]`.
// PROF=file.cpuprofile writes a main-thread CPU profile of the timed part only; run with
// --trace-gc to see the collections. Prints per-round times next to the raw baseline.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { Session } from 'node:inspector/promises'
import { Table, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow'
import { FsBackend, LevelBackend, Omega, type StorageBackend } from '@omega/omega'
import { benchDir } from './temp-dir.js'

const [what = 'get', backendName = 'fs', nArg] = process.argv.slice(2)
const make = (dir: string, filling = false): StorageBackend =>
  backendName === 'level' ? new LevelBackend(dir) : new FsBackend(dir, { fsync: backendName === 'fs' && !filling })

const inspector = new Session()
inspector.connect()
async function profiled<T>(fn: () => Promise<T>): Promise<T> {
  if (!process.env.PROF) return await fn()
  await inspector.post('Profiler.enable')
  await inspector.post('Profiler.setSamplingInterval', { interval: 100 })
  await inspector.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await inspector.post('Profiler.stop')
    writeFileSync(process.env.PROF, JSON.stringify(profile))
  }
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

if (what === 'get') {
  const rounds = Number(nArg ?? 10)
  const cols: Record<string, ReturnType<typeof vectorFromArray>> = {}
  for (let c = 0; c < 10; c++) cols[`c${c}`] = vectorFromArray(Float64Array.from({ length: 1_000_000 }, (_, i) => i * 0.5 + c))
  const table = new Table(cols)
  const rawFile = join(benchDir('prof-raw-'), 't.arrow')
  await writeFile(rawFile, tableToIPC(table, 'stream'))
  const om = await Omega.open({ store: make(benchDir('prof-get-')) })
  await om.datasets.put(table, 'big')
  await om.datasets.get('big')
  await tableFromIPC(await readFile(rawFile))
  const ours: number[] = []
  const raw: number[] = []
  await profiled(async () => {
    for (let i = 0; i < rounds; i++) {
      ours.push(await time(() => om.datasets.get('big')))
      if (process.env.ONLY !== 'omega') raw.push(await time(async () => tableFromIPC(await readFile(rawFile))))
    }
  })
  await om.close()
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!
  if (raw.length === 0) raw.push(0)
  console.log(`omega ${med(ours).toFixed(1)} ms, raw ${med(raw).toFixed(1)} ms, ratio ${(med(raw) / med(ours)).toFixed(2)}×`)
  console.log('omega', ours.map((t) => t.toFixed(0)).join(' '), '| raw', raw.map((t) => t.toFixed(0)).join(' '))
} else {
  const count = Number(nArg ?? 4000)
  const dir = benchDir('prof-glob-')
  const filler = await Omega.open({ store: make(dir, true) })
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      await filler.datasets.put({ i, pad: 'x'.repeat(100) }, `victims/${i}`)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  for (let i = 0; i < 10; i++) await filler.datasets.put({ i }, `other/${i}`)
  await filler.close()
  // The filler skipped fsync: flush its writes now, so that the drop's first fsync does not pay for them.
  if (process.env.FLUSH !== '0') execFileSync('sync')
  const om = await Omega.open({ store: make(dir) })
  if (process.env.PAUSE) {
    console.log(`pid ${process.pid}; attach strace now`)
    await new Promise((r) => setTimeout(r, Number(process.env.PAUSE)))
  }
  const t = await profiled(() => time(() => om.datasets.drop('victims/*')))
  if (process.env.PAUSE) {
    console.log(`dropped in ${t.toFixed(0)} ms; detach strace now`)
    await new Promise((r) => setTimeout(r, 2000))
  }
  const left = (await om.datasets.list('victims/*')).length
  const others = (await om.datasets.list('other/*')).length
  await om.close()
  console.log(`glob drop of ${count} on ${backendName}: ${t.toFixed(0)} ms (left ${left}, others ${others})`)
}
