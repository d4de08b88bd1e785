// REST server: HTTP predict over loopback with keep-alive vs the same om.runtime.model(…).predict
// call in-process, same run, same store. Latency uses node:http with a keep-alive Agent (undici's
// fetch adds ~0.5–1.5 ms of client CPU per call here); throughput uses autocannon. The load
// generator shares this process and the machine's cores with the server, so the HTTP figures are a
// lower bound of what a separate client would see.
import { mkdtempSync, readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
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

/** A keep-alive PUT with a JSON body; resolves to the response text, rejects on a non-200. */
function putter(base: string, body: string): (path: string) => Promise<string> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const { hostname, port } = new URL(base)
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
  return (path) =>
    new Promise((resolve, reject) => {
      const req = request({ hostname, port, path, method: 'PUT', agent, headers }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text}`))))
      })
      req.on('error', reject)
      req.end(body)
    })
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
    // The transport floor: the same PUT and body to a route that does nothing.
    server.fastify.put('/bench/noop', async () => ({ ok: true }))
    const base = await server.listen({ port: 0, host: '127.0.0.1' })
    const url = `${base}/api/v1/model/mlp/predict`
    const put = putter(base, body)
    const local = (): Promise<unknown> => om.runtime.model('mlp').predict([row])
    // Sequential latency, calls interleaved so all three see the same machine load.
    const [tl, th, tn]: number[][] = [[], [], []]
    for (let i = 0; i < N + 50; i++) {
      const t0 = performance.now()
      await local()
      const t1 = performance.now()
      await put('/api/v1/model/mlp/predict')
      const t2 = performance.now()
      await put('/bench/noop')
      const t3 = performance.now()
      if (i >= 50) {
        tl.push(t1 - t0)
        th.push(t2 - t1)
        tn.push(t3 - t2)
      }
    }
    rows.push({
      runtime,
      'HTTP p50 ms': ms(p50(th)),
      'HTTP p99 ms': ms(p99(th)),
      'in-process p50 ms': ms(p50(tl)),
      'in-process p99 ms': ms(p99(tl)),
      'HTTP overhead p50 µs': ((p50(th) - p50(tl)) * 1000).toFixed(0),
      'no-op route p50 µs': (p50(tn) * 1000).toFixed(0),
    })
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
  printTable(`REST predict, fixture ONNX MLP (30 features), batch 1, keep-alive node:http on loopback vs om.runtime.model('mlp').predict([row]) in-process; calls alternate; n=${N}`, rows)
  printTable(`REST predict throughput: autocannon ${CONNECTIONS} connections × ${SECONDS} s vs ${CONNECTIONS} concurrent in-process callers × ${SECONDS} s (same process, same cores)`, goals)
  return [...rows, ...goals]
}
