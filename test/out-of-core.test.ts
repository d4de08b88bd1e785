// [slow] Iterating a dataset several times larger than the V8 heap limit works with flat memory:
// a child Node with --max-old-space-size=128 streams a ~600 MB table chunk by chunk.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { Table, vectorFromArray } from 'apache-arrow'
import { describe, expect, it, onTestFinished } from 'vitest'
import { tempDir } from '@omega/conformance'

const omegaEntry = new URL('../packages/omega/dist/index.js', import.meta.url).href
const COLUMNS = 10
const ROWS_PER_APPEND = 100_000 // 8 MB per append
const APPENDS = 75 // 600 MB in all

const reader = `
  import { readFileSync } from 'node:fs'
  import { Omega } from ${JSON.stringify(omegaEntry)}
  // Anonymous memory (heap, ArrayBuffers), without file-backed pages such as LevelDB's memory-mapped tables.
  const anon = () => Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024
  const om = await Omega.open({ store: process.argv[1] })
  let rows = 0, sum = 0, peakRss = 0, peakHeap = 0, chunks = 0, peakAnon = 0
  for await (const t of om.datasets.iter('big[c0,c9]#iterchunks:chunksize=50000')) {
    const c0 = t.getChild('c0')
    for (const v of c0) sum += v
    rows += t.numRows
    chunks++
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
    peakAnon = Math.max(peakAnon, anon())
  }
  let allRows = 0
  for await (const t of om.datasets.iter('big')) {
    allRows += t.numRows
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
    peakAnon = Math.max(peakAnon, anon())
  }
  console.log(JSON.stringify({ rows, allRows, sum, chunks, peakRss, peakHeap, peakAnon }))
  await om.close()
`

describe('[slow] out-of-core iteration', () => {
  it.each(['level', 'fs'])('streams a ~600 MB %s table under a 128 MB heap limit with flat memory', { timeout: 300_000 }, async (scheme) => {
    const dir = tempDir('omega-ooc-')
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const store = `${scheme}:${dir}`
    const { Omega } = (await import(omegaEntry)) as typeof import('@omega/omega')
    const om = await Omega.open({ store, fs: { fsync: false } })
    let expectedSum = 0
    try {
      for (let a = 0; a < APPENDS; a++) {
        const cols: Record<string, ReturnType<typeof vectorFromArray>> = {}
        for (let c = 0; c < COLUMNS; c++) {
          const data = new Float64Array(ROWS_PER_APPEND)
          for (let i = 0; i < data.length; i++) data[i] = c === 0 ? (a * ROWS_PER_APPEND + i) % 1000 : Math.random()
          if (c === 0) for (const v of data) expectedSum += v
          cols[`c${c}`] = vectorFromArray(data)
        }
        await om.datasets.put(new Table(cols), 'big', { append: a > 0 })
      }
      const meta = await om.datasets.metadata('big')
      expect(meta!.size).toBeGreaterThan(590_000_000)
    } finally {
      await om.close()
    }
    const out = execFileSync(process.execPath, ['--max-old-space-size=128', '--input-type=module', '-e', reader, store], {
      encoding: 'utf8',
      maxBuffer: 1024 * 1024,
    })
    const result = JSON.parse(out) as { rows: number; allRows: number; sum: number; chunks: number; peakRss: number; peakHeap: number; peakAnon: number }
    const mb = (n: number): string => (n / 2 ** 20).toFixed(0)
    console.log(`out-of-core (${store.split(':')[0]}): 600 MB dataset, peak RSS ${mb(result.peakRss)} MB (anonymous ${mb(result.peakAnon)} MB), peak heap ${mb(result.peakHeap)} MB`)
    expect(result.rows).toBe(APPENDS * ROWS_PER_APPEND)
    expect(result.allRows).toBe(APPENDS * ROWS_PER_APPEND)
    expect(result.chunks).toBe((APPENDS * ROWS_PER_APPEND) / 50_000)
    expect(result.sum).toBe(expectedSum)
    // LevelDB memory-maps its table files, so their pages count in RSS but are file-backed and
    // reclaimable; the memory omega holds (heap + ArrayBuffers) is the anonymous part.
    expect(result.peakAnon || result.peakRss).toBeLessThan(300 * 1024 * 1024)
  })
})
