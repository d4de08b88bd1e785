// The S3 backend on loopback: s3rver (a real S3-protocol server process) behind the test-only
// conditional-write gateway, which also counts requests and bytes. Baselines in the same run: the
// raw AWS SDK putting/getting the same bytes to the same server, and omega on fs.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { Table, tableToIPC, tableFromIPC, vectorFromArray } from 'apache-arrow'
import { DecisionTreeClassifier } from 'ml-cart'
import { FsBackend, Omega, type StorageBackend } from '@omega/omega'
import { S3Backend, type S3BackendOptions } from '@omega/s3'
import { startS3TestServer, type GatewayStats, type S3TestServer } from '../packages/backends/s3/test/harness/s3-test-server.js'
import { loadIris } from './data.js'
import { ms, p50, p99, printTable, ratio, sample, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const COLS = 10
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3)
const N = Number(process.env.BENCH_N ?? 100)
const WRITERS = 4
const PUTS_PER_WRITER = Number(process.env.BENCH_S3_PUTS ?? 25)
const BUCKET = 'omega-bench'

function table(rows: number): Table {
  const cols: Record<string, ReturnType<typeof vectorFromArray>> = {}
  for (let c = 0; c < COLS; c++) cols[`c${c}`] = vectorFromArray(Float64Array.from({ length: rows }, (_, i) => i * 0.5 + c))
  return new Table(cols)
}

function tree(): DecisionTreeClassifier {
  const { X, y } = loadIris()
  const t = new DecisionTreeClassifier({ maxDepth: 6 })
  t.train(X, y)
  return t
}

/** Requests (total and per operation) and bytes of one call, from the gateway's counters. */
async function counted<T>(server: S3TestServer, fn: () => Promise<T>): Promise<{ value: T; stats: GatewayStats; total: number }> {
  await server.resetStats()
  const value = await fn()
  const stats = await server.stats()
  return { value, stats, total: Object.values(stats.requests).reduce((s, n) => s + n, 0) }
}

const perOp = (stats: GatewayStats): string =>
  Object.entries(stats.requests)
    .sort()
    .map(([op, n]) => `${op} ${n}`)
    .join(', ')

export async function s3Scope(): Promise<Row[]> {
  const server = await startS3TestServer({ buckets: [BUCKET] })
  const s3 = (prefix: string): StorageBackend => new S3Backend(`s3://${BUCKET}/${prefix}`, server.s3Options() as S3BackendOptions)
  const raw = new S3Client({ ...(server.s3Options() as S3BackendOptions), requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  const rawPut = (key: string, body: Uint8Array): Promise<unknown> => raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
  const rawGet = async (key: string): Promise<Uint8Array> => await (await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray()
  const rows: Row[] = []
  try {
    // 1. The 80 MB table: omega on S3 vs the raw SDK (one object of the IPC bytes) vs omega on fs.
    const t = table(ROWS)
    const mb = (ROWS * COLS * 8) / 1e6
    const rawPutMs = await sample(REPEAT, 1, (i) => rawPut(`raw/t${i}.arrow`, tableToIPC(t, 'stream')))
    const rawGetMs = await sample(REPEAT, 1, async (i) => tableFromIPC(await rawGet(`raw/t${i}.arrow`)))
    const omS3 = await Omega.open({ store: s3('tables'), runtime: 'inline' })
    const omFs = await Omega.open({ store: new FsBackend(benchDir('bench-s3-fs-'), { fsync: false }), runtime: 'inline' })
    try {
      const s3Put = await sample(REPEAT, 1, (i) => omS3.datasets.put(t, `d${i}`))
      const s3Get = await sample(REPEAT, 1, (i) => omS3.datasets.get(`d${i}`))
      const s3One = await sample(REPEAT, 1, (i) => omS3.datasets.get(`d${i}[c0]`))
      const fsPut = await sample(REPEAT, 1, (i) => omFs.datasets.put(t, `d${i}`))
      const fsGet = await sample(REPEAT, 1, (i) => omFs.datasets.get(`d${i}`))
      const put = await counted(server, () => omS3.datasets.put(t, 'counted'))
      const get = await counted(server, () => omS3.datasets.get('counted'))
      const one = await counted(server, () => omS3.datasets.get('counted[c0]'))
      const tableRows: Row[] = [
        { operation: `put ${mb.toFixed(0)} MB table`, 'omega s3 ms': ms(p50(s3Put)), 'raw SDK ms': ms(p50(rawPutMs)), 's3 vs raw': ratio(p50(s3Put), p50(rawPutMs)), 'omega fs ms': ms(p50(fsPut)), 's3 vs fs': ratio(p50(s3Put), p50(fsPut)), requests: put.total, 'MB sent': (put.stats.bytesIn / 1e6).toFixed(1), 'MB fetched': (put.stats.bytesOut / 1e6).toFixed(1) },
        { operation: `get ${mb.toFixed(0)} MB table`, 'omega s3 ms': ms(p50(s3Get)), 'raw SDK ms': ms(p50(rawGetMs)), 's3 vs raw': ratio(p50(s3Get), p50(rawGetMs)), 'omega fs ms': ms(p50(fsGet)), 's3 vs fs': ratio(p50(s3Get), p50(fsGet)), requests: get.total, 'MB sent': (get.stats.bytesIn / 1e6).toFixed(1), 'MB fetched': (get.stats.bytesOut / 1e6).toFixed(1) },
        { operation: "get 'd[c0]' (1 of 10 columns)", 'omega s3 ms': ms(p50(s3One)), 'raw SDK ms': '–', 's3 vs raw': '–', 'omega fs ms': '–', 's3 vs fs': `${ratio(p50(s3One), p50(s3Get))} of get d`, requests: one.total, 'MB sent': (one.stats.bytesIn / 1e6).toFixed(1), 'MB fetched': (one.stats.bytesOut / 1e6).toFixed(1) },
      ]
      printTable(`S3 (s3rver on loopback): ${ROWS.toLocaleString('en')} rows × ${COLS} float64 (${mb.toFixed(0)} MB), median of ${REPEAT}; raw SDK = one PutObject/GetObject of the table's Arrow IPC bytes + tableToIPC/tableFromIPC`, tableRows)
      rows.push(...tableRows)
      for (const [what, c] of [['put table', put], ['get table', get], ['get d[c0]', one]] as const) rows.push({ operation: `requests: ${what}`, detail: perOp(c.stats) })
    } finally {
      await omS3.close()
      await omFs.close()
    }

    // 2. Small model put+get: p50/p99 and the requests each takes.
    const model = tree()
    const bytes = new TextEncoder().encode(JSON.stringify({ fitted: true, model: model.toJSON() }))
    const rawSmall = await sample(N, 5, async (i) => {
      await rawPut(`raw/m${i}`, bytes)
      await rawGet(`raw/m${i}`)
    })
    const om = await Omega.open({ store: s3('models'), runtime: 'inline' })
    try {
      const small = await sample(N, 5, async () => {
        await om.models.put(model, 'tree')
        await om.models.get('tree')
      })
      const put = await counted(server, () => om.models.put(model, 'tree'))
      const get = await counted(server, () => om.models.get('tree'))
      const row: Row = {
        operation: `small model put+get (${bytes.byteLength} bytes, n=${N})`,
        'omega s3 p50 ms': ms(p50(small)),
        'omega s3 p99 ms': ms(p99(small)),
        'raw SDK put+get p50 ms': ms(p50(rawSmall)),
        'ratio p50': ratio(p50(small), p50(rawSmall)),
        'requests put / get': `${put.total} / ${get.total}`,
      }
      printTable('S3: small model put+get (ml-cart tree on iris); raw SDK = PutObject + GetObject of the same bytes', [row])
      rows.push(row, { operation: 'requests: model put', detail: perOp(put.stats) }, { operation: 'requests: model get', detail: perOp(get.stats) })
    } finally {
      await om.close()
    }

    // 3. Versions per second, 4 concurrent writers on one name (each its own instance and client).
    const writers = async (make: () => StorageBackend): Promise<{ perSecond: number; versions: number }> => {
      const first = make()
      const oms = [await Omega.open({ store: first, runtime: 'inline' })]
      for (let w = 1; w < WRITERS; w++) oms.push(await Omega.open({ store: first instanceof S3Backend ? new S3Backend(first.location, server.s3Options() as S3BackendOptions) : new FsBackend(first.location, { fsync: false }), runtime: 'inline' }))
      try {
        const t0 = performance.now()
        await Promise.all(oms.map(async (o, w) => {
          for (let i = 0; i < PUTS_PER_WRITER; i++) await o.models.put(model, 'shared', { attributes: { w, i } })
        }))
        const seconds = (performance.now() - t0) / 1000
        const versions = (await oms[0]!.models.revisions('shared')).length
        return { perSecond: versions / seconds, versions }
      } finally {
        for (const o of oms) await o.close()
      }
    }
    const onS3 = await writers(() => s3(`versions-${Date.now()}`))
    const onFs = await writers(() => new FsBackend(benchDir('bench-s3-versions-'), { fsync: false }))
    const vrow: Row = {
      operation: `${WRITERS} concurrent writers × ${PUTS_PER_WRITER} model puts of one name`,
      's3 versions/s': onS3.perSecond.toFixed(1),
      'fs (no fsync) versions/s': onFs.perSecond.toFixed(1),
      's3 / fs': ratio(onS3.perSecond, onFs.perSecond),
      'versions kept (s3, fs)': `${onS3.versions}, ${onFs.versions}`,
    }
    printTable('S3: versions created per second under contention (compare-and-set on the version number)', [vrow])
    rows.push(vrow)
    printTable('S3: requests per operation (counted by the test gateway)', rows.filter((r) => String(r.operation).startsWith('requests:')))
  } finally {
    raw.destroy()
    await server.stop()
  }
  return rows
}
