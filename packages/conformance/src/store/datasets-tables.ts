import {
  Bool, Dictionary, Float32, Float64, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Utf8, TimestampMillisecond, Null,
  Table, tableFromArrays, vectorFromArray, type DataType,
} from 'apache-arrow'
import { Omega, type Metadata } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { countingBackend } from './counting-backend.js'
import { openStore, snapshot } from './open-store.js'

const rowsOf = (t: Table): unknown[] => t.toArray().map((r) => (r as { toJSON(): unknown }).toJSON())
const typesOf = (t: Table): string[] => t.schema.fields.map((f) => `${f.name}:${String(f.type)}`)

/** A table of n rows with columns a (int), b (float), c (string), y (int label), z (bool), batched in `batch` rows. */
export function sampleTable(n: number, batch = n): Table {
  const batches = []
  for (let at = 0; at < n; at += batch) {
    const len = Math.min(batch, n - at)
    batches.push(
      ...new Table({
        a: vectorFromArray(Int32Array.from({ length: len }, (_, i) => at + i)),
        b: vectorFromArray(Float64Array.from({ length: len }, (_, i) => (at + i) / 4)),
        c: vectorFromArray(Array.from({ length: len }, (_, i) => `s${(at + i) % 7}`), new Utf8()),
        y: vectorFromArray(Int32Array.from({ length: len }, (_, i) => (at + i) % 3)),
        z: vectorFromArray(Array.from({ length: len }, (_, i) => (at + i) % 2 === 0), new Bool()),
      }).batches,
    )
  }
  return new Table(batches)
}

/** Arrow tables on the backend: kinds, types, selectors, pushdown, appends, filters, iteration. */
export function tableTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`dataset tables (bucket ${bucket})`, () => {
    it('records become a table with the types a user expects, and come back exactly', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const when = new Date('2026-01-02T03:04:05.678Z')
        const records = Array.from({ length: 20 }, (_, i) => ({
          id: i,
          score: i + 0.5,
          city: ['Zurich', 'Basel'][i % 2]!,
          name: `n${i}`,
          ok: i % 3 === 0,
          at: i === 1 ? null : when,
          big: BigInt(i) * 10n ** 12n,
          note: i === 2 ? null : 'x',
        }))
        const meta = await om.datasets.put(records, 'people')
        expect(meta.kind).toBe('arrow.table')
        expect(meta.kindMeta.rows).toBe(20)
        const table = (await om.datasets.get('people')) as Table
        expect(typesOf(table)).toEqual([
          'id:Int32', 'score:Float64', 'city:Dictionary<Int32, Utf8>', 'name:Utf8', 'ok:Bool', 'at:Timestamp<MILLISECOND>', 'big:Int64', 'note:Dictionary<Int32, Utf8>',
        ])
        const back = rowsOf(table) as Record<string, unknown>[]
        expect(back[0]).toEqual({ id: 0, score: 0.5, city: 'Zurich', name: 'n0', ok: true, at: when.getTime(), big: 0n, note: 'x' })
        expect(back[1]!.at).toBeNull()
        expect(back[2]!.note).toBeNull()
        expect(back[19]!.big).toBe(19n * 10n ** 12n)
      } finally {
        await close()
      }
    })

    it('ragged records get nulls; a column of mixed types is E_INVALID_ARGUMENT naming it, and nothing is stored', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put([{ a: 1, b: 'x' }, { a: 2 }, { c: true }], 'ragged')
        expect(rowsOf((await om.datasets.get('ragged')) as Table)).toEqual([
          { a: 1, b: 'x', c: null },
          { a: 2, b: null, c: null },
          { a: null, b: null, c: true },
        ])
        const before = await snapshot(raw)
        const err = await rejectsWith(om.datasets.put([{ a: 1 }, { a: 'one' }], 'mixed'), 'E_INVALID_ARGUMENT')
        expect(err.message).toContain('"a"')
        expect(await snapshot(raw)).toEqual(before)
      } finally {
        await close()
      }
    })

    it('Arrow tables of every primitive type, several batches and nulls round-trip', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const cols: [string, DataType, unknown[]][] = [
          ['i8', new Int8(), [1, -2, null]], ['i16', new Int16(), [300, null, -300]], ['i32', new Int32(), [1, 2, 3]],
          ['i64', new Int64(), [1n, null, -(2n ** 60n)]], ['u8', new Uint8(), [0, 255, 7]], ['u16', new Uint16(), [65535, 0, 1]],
          ['u32', new Uint32(), [4e9, 0, null]], ['u64', new Uint64(), [2n ** 63n, 0n, 1n]], ['f32', new Float32(), [1.5, NaN, null]],
          ['f64', new Float64(), [Infinity, -0.25, 1e300]], ['s', new Utf8(), ['é', '', null]], ['d', new Dictionary(new Utf8(), new Int32()), ['x', 'y', 'x']],
          ['t', new TimestampMillisecond(), [0, 1_700_000_000_000, null]], ['bo', new Bool(), [true, null, false]], ['nu', new Null(), [null, null, null]],
        ]
        const one = new Table(Object.fromEntries(cols.map(([n, t, v]) => [n, vectorFromArray(v as never[], t as never)])))
        const table = new Table([...one.batches, ...one.batches])
        await om.datasets.put(table, 'types')
        const back = (await om.datasets.get('types')) as Table
        expect(typesOf(back)).toEqual(typesOf(table))
        expect(back.numRows).toBe(6)
        expect(rowsOf(back)).toEqual(rowsOf(table))
        await om.datasets.put(one.batches[0]!, 'batch')
        expect(rowsOf((await om.datasets.get('batch')) as Table)).toEqual(rowsOf(one))
      } finally {
        await close()
      }
    })

    it('an empty table is stored and comes back with its schema', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const empty = new Table({ a: vectorFromArray([], new Int32()), b: vectorFromArray([], new Utf8()) })
        const meta = await om.datasets.put(empty, 'empty')
        expect(meta.kindMeta.rows).toBe(0)
        const back = (await om.datasets.get('empty')) as Table
        expect(back.numRows).toBe(0)
        expect(typesOf(back)).toEqual(['a:Int32', 'b:Utf8'])
        expect(((await om.datasets.get('empty[b]')) as Table).schema.fields.map((f) => f.name)).toEqual(['b'])
      } finally {
        await close()
      }
    })

    it('column selectors: lists, inclusive ranges, exclusions; a missing column lists the available ones', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(sampleTable(10), 'd')
        const cols = async (n: string): Promise<string[]> => ((await om.datasets.get(n)) as Table).schema.fields.map((f) => f.name)
        expect(await cols('d[a,b]')).toEqual(['a', 'b'])
        expect(await cols('d[c,a]')).toEqual(['c', 'a'])
        expect(await cols('d[a:c]')).toEqual(['a', 'b', 'c'])
        expect(await cols('d[:b]')).toEqual(['a', 'b'])
        expect(await cols('d[c:]')).toEqual(['c', 'y', 'z'])
        expect(await cols('d[^y]')).toEqual(['a', 'b', 'c', 'z'])
        expect(await cols('d[^y,z]')).toEqual(['a', 'b', 'c'])
        expect(rowsOf((await om.datasets.get('d[a,c]')) as Table)[3]).toEqual({ a: 3, c: 's3' })
        const err = await rejectsWith(om.datasets.get('d[a,nope]'), 'E_INVALID_ARGUMENT')
        expect(err.message).toContain('nope')
        expect(err.message).toContain('a, b, c, y, z')
        await rejectsWith(om.datasets.get('d[x:y]'), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.datasets.get('d', { columns: ['zz'] }), 'E_INVALID_ARGUMENT')
        const reversed = await rejectsWith(om.datasets.get('d[c:a]'), 'E_INVALID_ARGUMENT')
        expect(reversed.message).toContain('"d[c:a]" is reversed')
        for (const empty of ['d[^a,b,c,y,z]', 'd[^a:z]']) {
          expect((await rejectsWith(om.datasets.get(empty), 'E_INVALID_ARGUMENT')).message).toContain(`"${empty}" leaves no column`)
        }
        await om.datasets.put({ k: 1 }, 'j', { kind: 'json' })
        await rejectsWith(om.datasets.get('j[a]'), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('reading some columns reads only those columns\' bytes from storage', async () => {
      const raw = countingBackend(await options.factory())
      const om = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        // batches of 131,072 rows: b (Float64) is 1 MiB per batch, so each of its parts holds it alone
        const meta = await om.datasets.put(sampleTable(262_144, 131_072), 'wide')
        const partsOf = (m: Metadata, col: number): number =>
          Object.entries(m.parts).filter(([p]) => p.endsWith(`.c${col}`)).reduce((n, [, r]) => n + r.size, 0)
        expect(Object.keys(meta.parts).filter((p) => p.endsWith('.c1'))).toEqual(['b0.c1', 'b1.c1'])
        raw.bytesRead = 0
        const one = (await om.datasets.get('wide[b]')) as Table
        expect(one.numRows).toBe(262_144)
        expect(one.getChild('b')!.get(262_143)).toBe(262_143 / 4)
        // only column b's parts (the stored schema is not read)
        expect(raw.bytesRead).toBe(partsOf(meta, 1))
        raw.bytesRead = 0
        await om.datasets.get('wide')
        expect(raw.bytesRead).toBe(meta.size - meta.parts.schema!.size)
        expect(partsOf(meta, 1) / meta.size).toBeLessThan(0.5)
      } finally {
        await om.close()
      }
    })

    it('appends add batches without rewriting; a different schema is E_DATA_SHAPE and nothing is appended', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const first = await om.datasets.put(sampleTable(100), 'grow')
        const second = await om.datasets.put(sampleTable(50), 'grow', { append: true })
        for (const [part, ref] of Object.entries(first.parts)) expect(second.parts[part]).toEqual(ref)
        expect(second.kindMeta.rows).toBe(150)
        const rows = rowsOf((await om.datasets.get('grow')) as Table) as { a: number }[]
        expect(rows.map((r) => r.a)).toEqual([...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => i)])
        await om.datasets.put([{ a: 7, b: 1.5, c: 's', y: 1, z: false }], 'grow', { append: true })
        expect(((await om.datasets.get('grow')) as Table).numRows).toBe(151)
        const before = await snapshot(raw)
        const err = await rejectsWith(om.datasets.put(tableFromArrays({ a: Float64Array.of(1) }), 'grow', { append: true }), 'E_DATA_SHAPE')
        expect(err.message).toMatch(/stored \[a, b, c, y, z\], given \[a\]/)
        const wrongType = new Table({ a: vectorFromArray(['x'], new Utf8()), b: vectorFromArray([1], new Float64()), c: vectorFromArray(['s'], new Utf8()), y: vectorFromArray([1], new Int32()), z: vectorFromArray([true], new Bool()) })
        expect((await rejectsWith(om.datasets.put(wrongType, 'grow', { append: true }), 'E_DATA_SHAPE')).message).toContain('column "a": stored Int32, given Utf8')
        await rejectsWith(om.datasets.put([{ a: 1, extra: 2 }], 'grow', { append: true }), 'E_DATA_SHAPE')
        const lacking = [{ a: 1, b: 2.5, c: 's', y: 0, z: true }, { a: 8, b: 1.5 }]
        const missing = await rejectsWith(om.datasets.put(lacking, 'grow', { append: true }), 'E_DATA_SHAPE')
        expect(missing.message).toContain('record 1 lacks columns "c", "y", "z" of the stored table (a, b, c, y, z)')
        expect(await snapshot(raw)).toEqual(before)
        expect((await om.datasets.put(lacking, 'grow', { append: true, fillMissing: true })).kindMeta.rows).toBe(153)
        expect(rowsOf((await om.datasets.get('grow#rows:start=152')) as Table)).toEqual([{ a: 8, b: 1.5, c: null, y: null, z: null }])
        expect((await om.datasets.put(sampleTable(3), 'fresh', { append: true })).kindMeta.rows).toBe(3)
      } finally {
        await close()
      }
    })

    it('iterchunks yields N-row tables whatever the stored batches; #rows selects a range', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(sampleTable(1000, 300), 'big')
        await om.datasets.put(sampleTable(45, 45), 'big', { append: true })
        const sizes: number[] = []
        const firsts: number[] = []
        for await (const t of om.datasets.iter('big[a]#iterchunks:chunksize=128')) {
          sizes.push(t.numRows)
          firsts.push(t.getChild('a')!.get(0) as number)
          expect(t.schema.fields.map((f) => f.name)).toEqual(['a'])
        }
        expect(sizes).toEqual([...Array<number>(8).fill(128), 1045 - 8 * 128])
        expect(firsts.slice(0, 3)).toEqual([0, 128, 256])
        const batches: number[] = []
        for await (const t of om.datasets.iter('big')) batches.push(t.numRows)
        expect(batches).toEqual([300, 300, 300, 100, 45])
        const range = (await om.datasets.get('big[a]#rows:start=290,end=310')) as Table
        expect(range.getChild('a')!.toArray()).toEqual(Int32Array.from({ length: 20 }, (_, i) => 290 + i))
        expect(((await om.datasets.get('big#rows:start=1040')) as Table).numRows).toBe(5)
        await rejectsWith(om.datasets.get('big#rows:start=5,end=2'), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.datasets.get('big#iterchunks:chunksize=10'), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.datasets.get('big#iterchunks:chunksize=0'), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.datasets.get('big#shuffle:seed=1'), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('filters with every operator, evaluated as data', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const when = (d: number): Date => new Date(Date.UTC(2026, 0, d))
        await om.datasets.put(
          [
            { n: 1, s: 'apple', t: when(1), k: 'a' },
            { n: 5, s: 'banana', t: when(5), k: null },
            { n: 10, s: '$where', t: when(10), k: 'c' },
            { n: 20, s: 'x) || true', t: null, k: 'd' },
          ],
          'f',
        )
        const ns = async (filter: object): Promise<number[]> =>
          ((await om.datasets.get('f', { filter: filter as never })) as Table).toArray().map((r) => (r as { n: number }).n)
        expect(await ns({ n: { gt: 1, lt: 20 } })).toEqual([5, 10])
        expect(await ns({ n: 5 })).toEqual([5])
        expect(await ns({ n: { eq: 5 } })).toEqual([5])
        expect(await ns({ n: { ne: 5 } })).toEqual([1, 10, 20])
        expect(await ns({ n: { gte: 10 } })).toEqual([10, 20])
        expect(await ns({ n: { lte: 5 } })).toEqual([1, 5])
        expect(await ns({ n: { in: [1, 20, 99] } })).toEqual([1, 20])
        expect(await ns({ n: { nin: [1, 20] } })).toEqual([5, 10])
        expect(await ns({ n: { between: [5, 10] } })).toEqual([5, 10])
        expect(await ns({ s: { contains: 'an' } })).toEqual([5])
        expect(await ns({ s: { startsWith: 'app' } })).toEqual([1])
        expect(await ns({ s: { endsWith: 'true' } })).toEqual([20])
        expect(await ns({ k: { isNull: true } })).toEqual([5])
        expect(await ns({ k: { isNull: false }, n: { lt: 15 } })).toEqual([1, 10])
        expect(await ns({ t: { gte: when(5) } })).toEqual([5, 10])
        expect(await ns({ s: '$where' })).toEqual([10])
        expect(await ns({ s: 'x) || true' })).toEqual([20])
        expect(await ns({ s: { eq: "' OR 1=1 --" } })).toEqual([])
        const sel = (await om.datasets.get('f[s]', { filter: { n: { gt: 4 } } })) as Table
        expect(sel.schema.fields.map((f) => f.name)).toEqual(['s'])
        expect(sel.numRows).toBe(3)
        const none = (await om.datasets.get('f', { filter: { n: { gt: 1000 } } })) as Table
        expect(none.numRows).toBe(0)
        expect(none.schema.fields.map((f) => f.name)).toEqual(['n', 's', 't', 'k'])
        expect((await rejectsWith(om.datasets.get('f', { filter: { nope: 1 } }), 'E_INVALID_ARGUMENT')).message).toContain('n, s, t, k')
        await rejectsWith(om.datasets.get('f', { filter: { n: { like: 1 } } as never }), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.datasets.get('f', { filter: { n: { between: [1] } } }), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('filters run batch by batch over large tables', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(sampleTable(10_000, 1_000), 'fb')
        const t = (await om.datasets.get('fb[a,c]', { filter: { y: 2, a: { lt: 3000 } } })) as Table
        expect(t.numRows).toBe(1000)
        expect(t.getChild('a')!.get(0)).toBe(2)
        let n = 0
        for await (const chunk of om.datasets.iter('fb#iterchunks:chunksize=250', { filter: { z: true } })) n += chunk.numRows
        expect(n).toBe(5000)
      } finally {
        await close()
      }
    })
  })
}
