import { createHash } from 'node:crypto'
import { Field, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { Omega, batchOf, encodeColumn, encodeSchema, type JsonObject, type Metadata, type TableKindMeta } from '@omega/core'
import { describe, expect, it } from 'vitest'
import type { BackendSuiteOptions } from '../context.js'
import { countingBackend } from './counting-backend.js'
import { sampleTable } from './datasets-tables.js'
import { snapshot } from './open-store.js'

const rowsOf = (t: Table): unknown[] => t.toArray().map((r) => (r as { toJSON(): unknown }).toJSON())

/**
 * A table of `columns` columns and `rows` rows: `c<j>` holds j + i (Float64; every 1,000th column
 * Int32, every 1,000th + 1 Utf8). Built with `batchOf`: apache-arrow's own constructors take
 * time quadratic in the number of columns (30 s for 100,000).
 */
export function wideTable(columns: number, rows: number, first = 0): Table {
  const fields: Field[] = []
  const data = []
  for (let j = 0; j < columns; j++) {
    const v =
      j % 1000 === 0 ? vectorFromArray(Int32Array.from({ length: rows }, (_, i) => first + i + j))
      : j % 1000 === 1 ? vectorFromArray(Array.from({ length: rows }, (_, i) => `v${first + i + j}`), new Utf8())
      : vectorFromArray(Float64Array.from({ length: rows }, (_, i) => first + i + j))
    fields.push(new Field(`c${j}`, v.type, true))
    data.push(v.data[0]!)
  }
  return new Table([batchOf(fields, data, rows)])
}

/** The parts of batch `batch` that hold `columns`, from the kindMeta's column groups. */
function partsHolding(meta: Metadata, batch: number, columns: number[]): string[] {
  const kind = meta.kindMeta as unknown as TableKindMeta
  const groups = kind.batches[batch]!.groups
  const last = kind.columns.length - 1
  return [...new Set(columns.map((j) => {
    if (!groups) return `b${batch}.c${j}`
    let k = groups.length - 1
    while (groups[k]! > j) k--
    const to = k + 1 < groups.length ? groups[k + 1]! - 1 : last
    return to === groups[k] ? `b${batch}.c${to}` : `b${batch}.c${groups[k]}-${to}`
  }))]
}

/** How tables are laid out in parts: narrow columns share one, wide tables, tables stored one part per column. */
export function tableLayoutTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`dataset table layout (bucket ${bucket})`, () => {
    it('narrow columns share a part: a small table is one part per batch, and a column of it reads that part', async () => {
      const raw = countingBackend(await options.factory())
      const om = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        const meta = await om.datasets.put(sampleTable(20_000, 5_000), 'narrow')
        expect(Object.keys(meta.parts).sort()).toEqual(['b0.c0-4', 'b1.c0-4', 'b2.c0-4', 'b3.c0-4', 'schema'])
        expect(meta.kindMeta).toMatchObject({ format: 2, rows: 20_000, batches: Array(4).fill({ rows: 5_000, groups: [0] }) })
        raw.bytesRead = 0
        const t = (await om.datasets.get('narrow[c,a]', { filter: { y: 2 } })) as Table
        expect(rowsOf(t).slice(0, 2)).toEqual([{ c: 's2', a: 2 }, { c: 's5', a: 5 }])
        expect(raw.bytesRead).toBe(meta.size - meta.parts.schema!.size)
        // copied out of the shared part, so the result does not keep the whole part's bytes alive
        const z = ((await om.datasets.get('narrow[z]')) as Table).getChild('z')!
        expect(z.length).toBe(20_000)
        for (const d of z.data) expect((d.values as Uint8Array).buffer.byteLength).toBeLessThan(meta.parts['b0.c0-4']!.size / 10)
        const rows = await om.datasets.get('narrow#rows:start=4999,end=5001')
        expect(rowsOf(rows as Table)).toEqual([
          { a: 4999, b: 4999 / 4, c: 's1', y: 1, z: false },
          { a: 5000, b: 1250, c: 's2', y: 2, z: true },
        ])
      } finally {
        await om.close()
      }
    })

    if (bucket === 'default') {
      it('a 100,000-column table is a few dozen parts: put, get whole and by columns, append, iterate, drop', async () => {
        const raw = countingBackend(await options.factory())
        const om = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
        try {
          const before = await snapshot(raw)
          const meta = await om.datasets.put(wideTable(100_000, 5), 'w')
          // ≤ 4,096 columns per part: 25 parts and the schema, instead of 100,001
          expect(Object.keys(meta.parts).length).toBeLessThan(50)
          raw.bytesRead = 0
          const whole = (await om.datasets.get('w')) as Table
          expect(whole.numCols).toBe(100_000)
          expect(whole.schema.fields[99_999]!.name).toBe('c99999')
          expect(whole.getChild('c99999')!.get(4)).toBe(100_003)
          expect(whole.getChild('c5000')!.get(1)).toBe(5001)
          expect(whole.getChild('c7001')!.get(2)).toBe('v7003')
          expect(raw.bytesRead).toBe(meta.size - meta.parts.schema!.size)
          raw.bytesRead = 0
          const two = (await om.datasets.get('w[c5,c99999]')) as Table
          expect(rowsOf(two)).toEqual(Array.from({ length: 5 }, (_, i) => ({ c5: 5 + i, c99999: 99_999 + i })))
          const read = partsHolding(meta, 0, [5, 99_999])
          expect(read).toHaveLength(2)
          expect(raw.bytesRead).toBe(read.reduce((n, p) => n + meta.parts[p]!.size, 0))
          expect(raw.bytesRead / meta.size).toBeLessThan(0.1)
          const grown = await om.datasets.put(wideTable(100_000, 3, 5), 'w', { append: true })
          for (const [part, ref] of Object.entries(meta.parts)) expect(grown.parts[part]).toEqual(ref)
          expect(Object.keys(grown.parts).length).toBeLessThan(100)
          expect(grown.kindMeta.rows).toBe(8)
          const chunks: number[] = []
          for await (const t of om.datasets.iter('w#iterchunks:chunksize=6')) {
            expect(t.numCols).toBe(100_000)
            chunks.push(t.numRows)
          }
          expect(chunks).toEqual([6, 2])
          const tail = (await om.datasets.get('w[c99998:]#rows:start=4')) as Table
          expect(rowsOf(tail)).toEqual(Array.from({ length: 4 }, (_, i) => ({ c99998: 99_998 + 4 + i, c99999: 99_999 + 4 + i })))
          const filtered = (await om.datasets.get('w[c1]', { filter: { c0: { gte: 6 } } })) as Table
          expect(rowsOf(filtered)).toEqual([{ c1: 'v7' }, { c1: 'v8' }])
          await om.datasets.drop('w')
          expect(await snapshot(raw)).toEqual(before)
        } finally {
          await om.close()
        }
      }, 120_000)
    }

    it('a table stored one part per column (format 1, before column groups) still reads, filters, iterates and appends', async () => {
      const raw = countingBackend(await options.factory())
      const om = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        // Write what earlier versions wrote: the schema, one single-column IPC part per (batch × column), format 1.
        const table = sampleTable(300, 100)
        await om.datasets.put(table, 'old')
        const key = (await snapshot(raw)).docs.find((k) => k.endsWith('/old/@0000000001'))!
        const current = (await raw.meta.get(key))!
        const parts: Record<string, { sha256: string; size: number }> = { schema: await raw.blobs.write(encodeSchema(table.schema)) }
        for (const [i, batch] of table.batches.entries()) {
          for (let j = 0; j < table.numCols; j++) parts[`b${i}.c${j}`] = await raw.blobs.write(encodeColumn(batch, j))
        }
        const names = Object.keys(parts).sort()
        const doc = {
          ...current.doc,
          kindMeta: { ...(current.doc.kindMeta as JsonObject), format: 1, batches: table.batches.map((b) => ({ rows: b.numRows })) },
          parts,
          size: names.reduce((n, p) => n + parts[p]!.size, 0),
          sha256: createHash('sha256').update(JSON.stringify(names.map((p) => [p, parts[p]!.sha256]))).digest('hex'),
        }
        await raw.meta.put(key, doc as unknown as JsonObject, { ifRevision: current.revision })
        const meta = (await om.datasets.metadata('old'))!
        expect(Object.keys(meta.parts)).toHaveLength(16)
        expect(rowsOf((await om.datasets.get('old')) as Table)).toEqual(rowsOf(table))
        raw.bytesRead = 0
        expect(rowsOf((await om.datasets.get('old[b]#rows:start=150,end=152')) as Table)).toEqual([{ b: 37.5 }, { b: 37.75 }])
        expect(raw.bytesRead).toBe(meta.parts['b1.c1']!.size)
        expect(((await om.datasets.get('old', { filter: { y: 1, a: { lt: 10 } } })) as Table).getChild('a')!.toArray()).toEqual(Int32Array.of(1, 4, 7))
        const sizes: number[] = []
        for await (const t of om.datasets.iter('old[c,z]#iterchunks:chunksize=120')) sizes.push(t.numRows)
        expect(sizes).toEqual([120, 120, 60])
        const grown = await om.datasets.put(sampleTable(50), 'old', { append: true })
        for (const [part, ref] of Object.entries(meta.parts)) expect(grown.parts[part]).toEqual(ref)
        expect(grown.kindMeta).toMatchObject({ format: 2, rows: 350 })
        expect((grown.kindMeta as unknown as TableKindMeta).batches.map((b) => b.groups ?? null)).toEqual([null, null, null, [0]])
        expect(grown.parts['b3.c0-4']).toBeDefined()
        const all = rowsOf((await om.datasets.get('old[a,c]')) as Table) as { a: number; c: string }[]
        expect(all.map((r) => r.a)).toEqual([...Array.from({ length: 300 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => i)])
        expect(all[310]).toEqual({ a: 10, c: 's3' })
      } finally {
        await om.close()
      }
    })

  })
}
