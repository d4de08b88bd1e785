// REST server: HTTP predict over loopback with keep-alive (fetch for latency, autocannon for
// throughput) vs the same om.runtime.model(…).predict call in-process, same run, same store.
// autocannon and the server share this process (and the 2-core machine): the HTTP figures include
// the load generator's own CPU, so they are a lower bound of what a separate client would see.
import { mkdtempSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { LevelBackend, Omega } from '@omega/omega'
import { createServer } from '@omega/server'
import { ms, p50, p99, printTable, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const N = Number(process.env.BENCH_N ?? 400)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4)
const CONNECTIONS = 8
const MODEL = new URL('../fixtures/onnx/mlp_breast_cancer.onnx', import.meta.url)

interface CannonResult {
  readonly requests: { readonly average: number }
  readonly non2xx: number
  readonly errors: number
}

/** Calls/s of `CONNECTIONS` loops calling `fn` back to back for `SECONDS`. */
async function inProcessThroughput(fn: () => Promise<unknown>): Promise<number> {
  let calls = 0
  const end = performance.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < end) {
      await fn()
      calls++
    }
  }))
  return calls / SECONDS
}

export async function serverScope(): Promise<Row[]> {
  const dir = benchDir('bench-server-')
  const bytes = new Uint8Array(readFileSync(MODEL))
  const row = Array.from({ length: 30 }, (_, i) => 10 + i)
  const body = JSON.stringify({ data: [row] })
  const rows: Row[] = []
  const goals: Row[] = []
  for (const runtime of ['inline', 'pool'] as const) {
    const om = await Omega.open({ store: new LevelBackend(mkdtempSync(join(dir, 's-'))), runtime, threads: 2 })
    await om.models.put(bytes, 'mlp')
    const server = await createServer(om)
    const url = `${await server.listen({ port: 0, host: '127.0.0.1' })}/api/v1/model/mlp/predict`
    const local = (): Promise<unknown> => om.runtime.model('mlp').predict([row])
    const http = async (): Promise<unknown> => {
      const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body })
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`)
      return await res.json()
    }
    // Sequential latency, calls alternating so both see the same machine load.
    const tl: number[] = []
    const th: number[] = []
    for (let i = 0; i < N + 50; i++) {
      const t0 = performance.now()
      await local()
      const t1 = performance.now()
      await http()
      const t2 = performance.now()
      if (i >= 50) {
        tl.push(t1 - t0)
        th.push(t2 - t1)
      }
    }
    rows.push({ runtime, 'HTTP p50 ms': ms(p50(th)), 'HTTP p99 ms': ms(p99(th)), 'in-process p50 ms': ms(p50(tl)), 'in-process p99 ms': ms(p99(tl)), 'HTTP overhead p50 µs': ((p50(th) - p50(tl)) * 1000).toFixed(0) })
    // Throughput, rounds alternating between the two.
    const ratios: number[] = []
    const httpRates: number[] = []
    const localRates: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const cannon = (await autocannon({ url, method: 'PUT', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, duration: SECONDS })) as unknown as CannonResult
      if (cannon.non2xx > 0 || cannon.errors > 0) throw new Error(`autocannon: ${cannon.non2xx} non-2xx, ${cannon.errors} errors`)
      const inProc = await inProcessThroughput(local)
      httpRates.push(cannon.requests.average)
      localRates.push(inProc)
      ratios.push(cannon.requests.average / inProc)
    }
    goals.push({
      runtime,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      'HTTP req/s (median)': p50(httpRates).toFixed(0),
      'in-process calls/s (median)': p50(localRates).toFixed(0),
      'HTTP / in-process, median': `${p50(ratios).toFixed(2)}×`,
      'min–max': `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`,
    })
    await server.close()
    await om.close()
  }
  printTable(`REST predict, fixture ONNX MLP (30 features), batch 1, keep-alive fetch on loopback vs om.runtime.model('mlp').predict([row]) in-process; calls alternate; n=${N}`, rows)
  printTable(`REST predict throughput: autocannon ${CONNECTIONS} connections × ${SECONDS} s vs ${CONNECTIONS} concurrent in-process callers × ${SECONDS} s (same process, same cores)`, goals)
  return [...rows, ...goals]
}
