import { Omega, Tensor, type JsonObject, type Metadata } from '@omega/core'
import { Table, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { countingBackend } from './counting-backend.js'
import { TestLinear, openStore, snapshot } from './open-store.js'

/** `n` rows starting at `from`: a (int), b (float), y (label). */
export function rows(from: number, n: number): Table {
  return new Table({
    a: vectorFromArray(Int32Array.from({ length: n }, (_, i) => from + i)),
    b: vectorFromArray(Float64Array.from({ length: n }, (_, i) => (from + i) / 2)),
    y: vectorFromArray(Int32Array.from({ length: n }, (_, i) => (from + i) % 3)),
  })
}

export const column = (t: Table, name: string): number[] => Array.from(t.getChild(name)!.toArray() as Int32Array)
export const V1 = '@0000000001'

/** Dataset versions (SPEC §8): addressing, tags, drops, promote, appends that share parts, retention, legacy documents. */
export function datasetVersionTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`dataset versions (bucket ${bucket})`, () => {
    it('every put and append is a version; @n, @latest, ^, @tag, tag, revisions; selectors combine', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const m1 = await om.datasets.put(rows(0, 300), 'd', { attributes: { source: 'crm' } })
        const m2 = await om.datasets.put(rows(300, 200), 'd', { append: true })
        const m3 = await om.datasets.put(rows(1000, 10), 'd', { tag: 'small' })
        expect([m1.version, m2.version, m3.version]).toEqual([1, 2, 3])
        expect([m1.parent, m2.parent, m3.parent]).toEqual([null, 1, 2])
        expect(m2.attributes).toEqual({ source: 'crm' })
        expect(m3.tags).toEqual(['small'])
        const count = async (n: string): Promise<number> => ((await om.datasets.get(n)) as Table).numRows
        expect(await count('d')).toBe(10)
        expect(await count('d@latest')).toBe(10)
        expect(await count('d@1')).toBe(300)
        expect(await count('d@2')).toBe(500)
        expect(await count('d^')).toBe(500)
        expect(await count('d^^')).toBe(300)
        expect(await count('d@small')).toBe(10)
        expect(column(await om.datasets.get('d@2'), 'a')).toEqual(Array.from({ length: 500 }, (_, i) => i))
        // Selectors, row ranges and chunked iteration on a version.
        const ab = await om.datasets.get('d@2[a,b]')
        expect(ab.schema.fields.map((f) => f.name)).toEqual(['a', 'b'])
        expect(ab.numRows).toBe(500)
        expect((await om.datasets.get('d@2#rows:start=250,end=350')).numRows).toBe(100)
        const chunks: number[] = []
        for await (const chunk of om.datasets.iter('d@2[a,b]#iterchunks:chunksize=100')) {
          expect(chunk.schema.fields.map((f) => f.name)).toEqual(['a', 'b'])
          chunks.push(chunk.numRows)
        }
        expect(chunks).toEqual([100, 100, 100, 100, 100])
        expect((await om.datasets.get('d@1', { filter: { a: { lt: 5 } } }) as Table).numRows).toBe(5)
        await om.datasets.tag('d@1', 'golden')
        expect(await count('d@golden')).toBe(300)
        expect((await om.datasets.metadata('d@1'))?.tags).toEqual(['golden'])
        const revs = await om.datasets.revisions('d')
        expect(revs.map((r) => [r.version, r.tags, r.parent])).toEqual([[1, ['golden'], null], [2, [], 1], [3, ['small'], 2]])
        expect(await om.datasets.list()).toEqual(['d'])
        expect((await om.datasets.list('d', { raw: true }))[0]!.version).toBe(3)
        expect(await om.datasets.untag('d', 'golden')).toBe(true)
        const err = await rejectsWith(om.datasets.get('d@99'), 'E_NOT_FOUND')
        expect(err.message).toMatch(/3 version\(s\) exist/)
        await rejectsWith(om.datasets.get('d@nosuch'), 'E_NOT_FOUND')
        await rejectsWith(om.datasets.get('d^^^'), 'E_NOT_FOUND')
        await rejectsWith(om.datasets.tag('d@1', '12'), 'E_INVALID_ARGUMENT')
        expect(await om.datasets.exists('d@99')).toBe(false)
        expect(await om.datasets.exists('d@2')).toBe(true)
      } finally {
        await close()
      }
    })

    it('tensors, files and JSON are versioned the same way', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.datasets.put({ v: 1 }, 'cfg')
        await om.datasets.put({ v: 2 }, 'cfg')
        expect(await om.datasets.get('cfg@1')).toEqual({ v: 1 })
        expect(await om.datasets.get('cfg')).toEqual({ v: 2 })
        await om.datasets.put(new Tensor('float64', [2], Float64Array.of(1, 2)), 'w')
        await om.datasets.put(new Tensor('float64', [1], Float64Array.of(3)), 'w')
        expect(((await om.datasets.get('w^')) as Tensor).toArray()).toEqual([1, 2])
        await om.datasets.put(Uint8Array.of(1, 2, 3), 'f')
        await om.datasets.put(Uint8Array.of(4), 'f')
        expect(Array.from((await om.datasets.get('f@1')) as Uint8Array)).toEqual([1, 2, 3])
        const chunks: Buffer[] = []
        for await (const c of await om.datasets.open('f@1')) chunks.push(c as Buffer)
        expect(Array.from(Buffer.concat(chunks))).toEqual([1, 2, 3])
        expect((await om.datasets.revisions('f')).map((r) => r.version)).toEqual([1, 2])
        await rejectsWith(om.datasets.put({ v: 3 }, 'cfg', { replace: false }), 'E_CONFLICT')
      } finally {
        await close()
      }
    })

    it('an append version shares every earlier part: it writes only the new rows', async () => {
      const raw = countingBackend(await options.factory())
      const om = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        raw.bytesWritten = 0
        const first = await om.datasets.put(rows(0, 50_000), 'big')
        const firstBytes = raw.bytesWritten
        raw.bytesWritten = 0
        const next = await om.datasets.put(rows(50_000, 1_000), 'big', { append: true })
        expect(raw.bytesWritten).toBeLessThan(firstBytes / 10)
        for (const [part, ref] of Object.entries(first.parts)) {
          if (part !== 'schema') expect(next.parts[part]).toEqual(ref)
        }
        expect(next.size).toBeGreaterThan(first.size)
        expect(((await om.datasets.get('big@1')) as Table).numRows).toBe(50_000)
        expect(((await om.datasets.get('big')) as Table).numRows).toBe(51_000)
      } finally {
        await om.close()
      }
    })

    it('dropping a version frees only bytes no other version holds; promote copies one version', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 100), 'p')
        await om.datasets.put(rows(100, 50), 'p', { append: true })
        const v3 = await om.datasets.put(rows(150, 25), 'p', { append: true })
        expect(await om.datasets.drop('p@1')).toBe(true)
        await rejectsWith(om.datasets.get('p@1'), 'E_NOT_FOUND')
        expect(column(await om.datasets.get('p@2'), 'a')).toEqual(Array.from({ length: 150 }, (_, i) => i))
        await om.datasets.drop('p@2')
        expect(column(await om.datasets.get('p'), 'a')).toEqual(Array.from({ length: 175 }, (_, i) => i))
        const blobs = (await snapshot(raw)).blobs
        expect(blobs.sort()).toEqual([...new Set(Object.values(v3.parts).map((r) => r.sha256))].sort())
        // Numbers are never reused: the next put is version 4.
        expect((await om.datasets.put(rows(0, 1), 'p')).version).toBe(4)
        const prod = om.bucket(`${bucket}-prod`)
        const promoted = await om.datasets.promote('p@3', prod.datasets)
        expect(promoted.version).toBe(1)
        expect(promoted.attributes.promotedFrom).toMatchObject({ bucket, name: 'p', version: 3 })
        expect(((await prod.datasets.get('p')) as Table).numRows).toBe(175)
        await rejectsWith(om.datasets.promote('p@3', om.datasets), 'E_INVALID_ARGUMENT')
        expect((await om.datasets.promote('p@3', om.datasets, { asname: 'p-copy' })).version).toBe(1)
        await prod.datasets.drop('p')
        await om.datasets.drop('*')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await close()
      }
    })

    it('keep: N keeps the newest N versions and tagged ones; the others and their bytes go', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const put = async (n: number, opts: JsonObject = {}): Promise<Metadata> => await om.datasets.put({ n }, 'k', opts)
        const v1 = await put(1, { tag: 'golden' })
        const v2 = await put(2, { keep: 2 })
        expect(v2.attributes.keep).toBe(2)
        await put(3)
        const v4 = await put(4)
        await put(5)
        expect((await om.datasets.revisions('k')).map((r) => [r.version, r.tags])).toEqual([[1, ['golden']], [4, []], [5, []]])
        expect(await raw.blobs.has(v2.sha256)).toBe(false)
        expect(await raw.blobs.has(v1.sha256)).toBe(true)
        expect(await raw.blobs.has(v4.sha256)).toBe(true)
        // attributes.keep works the same; appends apply it too, and shared parts stay.
        await om.datasets.put(rows(0, 10), 't', { attributes: { keep: 1 } })
        await om.datasets.put(rows(10, 10), 't', { append: true })
        await om.datasets.put(rows(20, 10), 't', { append: true })
        expect((await om.datasets.revisions('t')).map((r) => r.version)).toEqual([3])
        expect(column(await om.datasets.get('t'), 'a')).toEqual(Array.from({ length: 30 }, (_, i) => i))
        // The same machinery serves models.
        for (let w = 1; w <= 3; w++) await om.models.put(new TestLinear({ w }), 'km', { keep: 2 })
        expect((await om.models.revisions('km')).map((r) => r.version)).toEqual([2, 3])
        await rejectsWith(om.models.put(new TestLinear({ w: 0 }), 'km', { keep: 0 }), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('bad input: keep 0, an append of another schema, an append whose latest version was dropped', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await rejectsWith(om.datasets.put({ a: 1 }, 'bad', { keep: 0 }), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.datasets.put({ a: 1 }, 'bad', { keep: 1.5 }), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.datasets.put({ a: 1 }, 'bad', { attributes: { keep: 'all' } }), 'E_INVALID_ARGUMENT')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
        await om.datasets.put(rows(0, 10), 's')
        const before = await snapshot(raw)
        const wrong = new Table({ a: vectorFromArray(Float64Array.of(1)), q: vectorFromArray(Int32Array.of(1)) })
        await rejectsWith(om.datasets.put(wrong, 's', { append: true }), 'E_DATA_SHAPE')
        expect(await snapshot(raw)).toEqual(before)
        expect((await om.datasets.revisions('s')).map((r) => r.version)).toEqual([1])
        await om.datasets.put(rows(10, 10), 's', { append: true })
        await om.datasets.drop('s@2')
        const err = await rejectsWith(om.datasets.put(rows(20, 10), 's', { append: true }), 'E_INVALID_ARGUMENT')
        expect(err.message).toContain('dropped')
        expect((await om.datasets.revisions('s')).map((r) => r.version)).toEqual([1])
        // A full put is still fine, and appends continue from it.
        expect((await om.datasets.put(rows(0, 5), 's')).version).toBe(3)
        expect((await om.datasets.put(rows(5, 5), 's', { append: true })).version).toBe(4)
        await rejectsWith(om.datasets.get('s@99'), 'E_NOT_FOUND')
        await om.datasets.put({ x: 1 }, 'j')
        await rejectsWith(om.datasets.put(rows(0, 1), 'j', { append: true }), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('concurrent appends get distinct versions and lose no rows', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 10), 'c')
        const results = await Promise.all([0, 1, 2, 3].map((i) => om.datasets.put(rows(100 * (i + 1), 10), 'c', { append: true })))
        expect(results.map((r) => r.version).sort()).toEqual([2, 3, 4, 5])
        const all = column(await om.datasets.get('c'), 'a').sort((x, y) => x - y)
        expect(all).toHaveLength(50)
        expect(new Set(all).size).toBe(50)
        // Each version is its parent plus one batch.
        for (const r of results) expect(((await om.datasets.get(`c@${r.version}`)) as Table).numRows).toBe(10 * r.version!)
      } finally {
        await close()
      }
    })

    it('an append racing a drop of the version it builds on never leaves a version whose bytes are gone', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        for (let i = 0; i < 12; i++) {
          const name = `race${i}`
          await om.datasets.put(rows(0, 20), name)
          const [appended] = await Promise.allSettled([om.datasets.put(rows(20, 5), name, { append: true }), om.datasets.drop(`${name}@1`)])
          if (appended.status === 'fulfilled') {
            expect(column(await om.datasets.get(`${name}@${appended.value.version}`), 'a')).toHaveLength(25)
          } else {
            expect(['E_CONFLICT', 'E_INVALID_ARGUMENT']).toContain((appended.reason as { code?: string }).code)
          }
        }
        expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      } finally {
        await close()
      }
    })

    it('a dataset written before versions (no version in its document) reads as version 1; the next put is version 2', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 20), 'old')
        await om.datasets.put({ a: 1 }, 'oldjson')
        // What the previous release stored: the document at the plain key, without version or parent.
        for (const name of ['old', 'oldjson']) {
          const stored = (await raw.meta.get(`${bucket}/data/${name}/${V1}`))!
          const { version: _v, parent: _p, ...doc } = stored.doc
          await raw.meta.put(`${bucket}/data/${name}`, doc, { ifRevision: null })
          await raw.meta.delete(stored.key, { ifRevision: stored.revision })
        }
      } finally {
        await close()
      }
      const om2 = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        expect(await om2.datasets.list()).toEqual(['old', 'oldjson'])
        expect(((await om2.datasets.get('old')) as Table).numRows).toBe(20)
        expect(((await om2.datasets.get('old@1')) as Table).numRows).toBe(20)
        expect((await om2.datasets.metadata('old'))?.version).toBe(1)
        const v2 = await om2.datasets.put(rows(20, 5), 'old', { append: true })
        expect(v2.version).toBe(2)
        expect(((await om2.datasets.get('old')) as Table).numRows).toBe(25)
        expect((await om2.datasets.revisions('old')).map((r) => r.version)).toEqual([1, 2])
        await om2.datasets.drop('old@1')
        expect(await raw.meta.get(`${bucket}/data/old`)).toBeUndefined()
        expect(((await om2.datasets.get('old')) as Table).numRows).toBe(25)
        expect((await om2.datasets.put(rows(0, 1), 'old')).version).toBe(3)
        expect(await om2.datasets.drop('oldjson')).toBe(true)
        expect(await om2.datasets.exists('oldjson')).toBe(false)
        await om2.datasets.drop('old')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await om2.close()
      }
    })
  })
}
