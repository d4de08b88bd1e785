import { Omega } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { TestLinear, openStore, snapshot } from './open-store.js'
import { failingBackend } from './failing-backend.js'
import { sampleTable } from './datasets-tables.js'
import { LONG_NAMES } from './objects.js'

/** Model versions, tags, revisions, per-version drop and blob collection on the backend. */
export function modelTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`models (bucket ${bucket})`, () => {
    it('every put is a new version; addressing by @n, @latest, @tag, ^ and ^^', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const m1 = await om.models.put(new TestLinear({ w: 1 }), 'lin', { attributes: { team: 'a' } })
        const m2 = await om.models.put(new TestLinear({ w: 2 }), 'lin', { attributes: { stage: 'dev' } })
        const m3 = await om.models.put(new TestLinear({ w: 3 }), 'lin', { tag: 'production' })
        expect([m1.version, m2.version, m3.version]).toEqual([1, 2, 3])
        expect([m1.parent, m2.parent, m3.parent]).toEqual([null, 1, 2])
        expect(m3.attributes).toEqual({ team: 'a', stage: 'dev' })
        expect(m3.tags).toEqual(['production'])
        const w = async (n: string): Promise<number> => ((await om.models.get(n)) as TestLinear).w
        expect(await w('lin')).toBe(3)
        expect(await w('lin@latest')).toBe(3)
        expect(await w('lin@1')).toBe(1)
        expect(await w('lin^')).toBe(2)
        expect(await w('lin^^')).toBe(1)
        expect(await w('lin@production')).toBe(3)
        expect(await w('lin@production^')).toBe(2)
        expect((await om.models.metadata('lin@2'))?.version).toBe(2)
        expect((await om.models.get('lin@2')) instanceof TestLinear).toBe(true)
        await om.models.tag('lin@1', 'production')
        expect(await w('lin@production')).toBe(1)
        expect((await om.models.metadata('lin'))?.tags).toEqual([])
        const err = await rejectsWith(om.models.get('lin@99'), 'E_NOT_FOUND')
        expect(err.message).toMatch(/3 version\(s\) exist/)
        await rejectsWith(om.models.get('lin^^^^'), 'E_NOT_FOUND')
        await rejectsWith(om.models.get('lin@staging'), 'E_NOT_FOUND')
        await rejectsWith(om.models.tag('lin@7', 'x'), 'E_NOT_FOUND')
        await rejectsWith(om.models.tag('lin@1', '123'), 'E_INVALID_ARGUMENT')
        await rejectsWith(om.models.tag('lin@1', 'latest'), 'E_INVALID_ARGUMENT')
        expect(await om.models.exists('lin@99')).toBe(false)
        expect(await om.models.list()).toEqual(['lin'])
      } finally {
        await close()
      }
    })

    it('revisions oldest first, with tags, parents and attributes', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.models.put(new TestLinear({ w: 1 }), 'r')
        await om.models.put(new TestLinear({ w: 2 }), 'r', { tag: 'prod', attributes: { note: 'second' } })
        const revs = await om.models.revisions('r')
        expect(revs.map((r) => [r.version, r.tags, r.parent, r.attributes])).toEqual([
          [1, [], null, {}],
          [2, ['prod'], 1, { note: 'second' }],
        ])
        expect(revs[0]!.sha256).toMatch(/^[0-9a-f]{64}$/)
        await rejectsWith(om.models.revisions('none'), 'E_NOT_FOUND')
        expect(await om.models.untag('r', 'prod')).toBe(true)
        await rejectsWith(om.models.untag('r', 'prod'), 'E_NOT_FOUND')
      } finally {
        await close()
      }
    })

    it('tags named like Object.prototype members behave like any other tag', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.models.put(new TestLinear({ w: 1 }), 'p')
        await om.models.put(new TestLinear({ w: 2 }), 'p')
        for (const tag of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']) {
          const err = await rejectsWith(om.models.get(`p@${tag}`), 'E_NOT_FOUND')
          expect(err.message).not.toMatch(/native code|function/)
          await rejectsWith(om.models.untag('p', tag), 'E_NOT_FOUND')
          expect((await om.models.tag('p@1', tag)).tags).toContain(tag)
          expect(((await om.models.get(`p@${tag}`)) as TestLinear).w).toBe(1)
          expect((await om.models.metadata(`p@${tag}`))?.version).toBe(1)
        }
        const revs = await om.models.revisions('p')
        expect(revs.map((r) => r.tags)).toEqual([['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'], []])
        await om.models.tag('p@2', '__proto__')
        expect((await om.models.revisions('p')).map((r) => r.tags)).toEqual([['constructor', 'hasOwnProperty', 'toString', 'valueOf'], ['__proto__']])
        for (const tag of ['__proto__', 'constructor', 'hasOwnProperty']) expect(await om.models.untag('p', tag)).toBe(true)
        expect((await om.models.revisions('p')).map((r) => r.tags)).toEqual([['toString', 'valueOf'], []])
        await om.models.drop('p@1')
        expect((await om.models.revisions('p')).map((r) => r.tags)).toEqual([[]])
        await rejectsWith(om.models.get('p@toString'), 'E_NOT_FOUND')
      } finally {
        await close()
      }
    })

    it('models with names of 499 multi-byte characters: versions, tags, list and drop', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        for (const name of LONG_NAMES) {
          await om.models.put(new TestLinear({ w: 1 }), name)
          await om.models.put(new TestLinear({ w: 2 }), name, { tag: 'prod' })
          expect(((await om.models.get(`${name}^`)) as TestLinear).w).toBe(1)
          expect(((await om.models.get(`${name}@prod`)) as TestLinear).w).toBe(2)
          expect((await om.models.revisions(name)).map((r) => [r.version, r.tags])).toEqual([[1, []], [2, ['prod']]])
        }
        expect(await om.models.list()).toEqual([...LONG_NAMES].sort())
        for (const name of LONG_NAMES) expect(await om.models.drop(name)).toBe(true)
        expect(await om.models.list()).toEqual([])
      } finally {
        await close()
      }
    })

    it('concurrent puts of one name get distinct versions and none is lost', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const metas = await Promise.all(Array.from({ length: 25 }, (_, i) => om.models.put(new TestLinear({ w: i }), 'race')))
        expect(metas.map((m) => m.version).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
        const revs = await om.models.revisions('race')
        expect(revs).toHaveLength(25)
        const ws = await Promise.all(revs.map(async (r) => ((await om.models.get(`race@${r.version}`)) as TestLinear).w))
        expect(ws.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i))
      } finally {
        await close()
      }
    })

    it('drop one version keeps the others, drops its tags and never reuses its number; drop all leaves no blob', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.models.put(new TestLinear({ w: 1 }), 'd')
        await om.models.put(new TestLinear({ w: 1 }), 'd')
        await om.models.put(new TestLinear({ w: 3 }), 'd', { tag: 'prod' })
        const sharedSha = (await om.models.metadata('d@1'))!.sha256
        expect((await om.models.metadata('d@2'))!.sha256).toBe(sharedSha)
        await om.models.drop('d@1')
        expect(((await om.models.get('d@2')) as TestLinear).w).toBe(1)
        await rejectsWith(om.models.get('d@1'), 'E_NOT_FOUND')
        await om.models.drop('d@prod')
        await rejectsWith(om.models.get('d@prod'), 'E_NOT_FOUND')
        expect((await om.models.metadata('d'))!.version).toBe(2)
        expect((await om.models.put(new TestLinear({ w: 4 }), 'd')).version).toBe(4)
        expect((await om.models.revisions('d')).map((r) => r.version)).toEqual([2, 4])
        await om.models.drop('d')
        expect(await om.models.exists('d')).toBe(false)
        expect((await snapshot(raw)).blobs).toEqual([])
        expect((await om.models.put(new TestLinear(), 'd')).version).toBe(1)
      } finally {
        await close()
      }
    })

    it('unfitted and fitted models round-trip and predict identically', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const model = new TestLinear().fit([[1], [2], [3]], [3, 5, 7])
        await om.models.put(model, 'fitted')
        const back = (await om.models.get('fitted')) as TestLinear
        expect(back.predict([[10]])).toEqual(model.predict([[10]]))
        expect((await om.models.metadata('fitted'))!.kind).toBe('estimator.TestLinear')
      } finally {
        await close()
      }
    })

    it('promotes to another bucket as a new independent version with promotedFrom', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const prod = om.bucket('prod')
        await om.models.put(new TestLinear({ w: 1 }), 'p')
        await om.models.put(new TestLinear({ w: 2 }), 'p', { tag: 'production', attributes: { owner: 'ana' } })
        await om.models.put(new TestLinear({ w: 9 }), 'p')
        const promoted = await om.models.promote('p@production', prod.models)
        expect(promoted).toMatchObject({ bucket: 'prod', name: 'p', version: 1 })
        expect(promoted.attributes).toMatchObject({ owner: 'ana', promotedFrom: { bucket, name: 'p', version: 2 } })
        expect(((await prod.models.get('p')) as TestLinear).w).toBe(2)
        await om.models.drop('p')
        expect(((await prod.models.get('p')) as TestLinear).w).toBe(2)
        await rejectsWith(om.models.promote('p', om.models), 'E_INVALID_ARGUMENT')
        const before = await snapshot(raw)
        await rejectsWith(om.models.promote('missing', prod.models), 'E_NOT_FOUND')
        expect(await snapshot(raw)).toEqual(before)
        await prod.models.promote('p', om.models)
        expect((await om.models.promote('p', om.models, { asname: 'p-copy' })).name).toBe('p-copy')
        await om.datasets.put({ x: 1 }, 'cfg')
        await om.datasets.promote('cfg', prod.datasets)
        await om.datasets.put({ x: 2 }, 'cfg')
        expect(await prod.datasets.get('cfg')).toEqual({ x: 1 })
      } finally {
        await close()
      }
    })

    it('lineage walks promotedFrom and parent back to the first dev version', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.models.put(new TestLinear(), 'lin')
        await om.models.put(new TestLinear({ w: 2 }), 'lin', { attributes: { dataset: { Xname: 'x[^y]', rows: 3 } } })
        await om.models.put(new TestLinear({ w: 3 }), 'lin', { tag: 'production' })
        await om.models.promote('lin@production', om.bucket('staging').models)
        await om.bucket('staging').models.promote('lin', om.bucket('prod').models)
        const steps = await om.bucket('prod').models.lineage('lin')
        expect(steps.map((s) => [s.relation, s.bucket, s.version])).toEqual([
          ['self', 'prod', 1],
          ['promotedFrom', 'staging', 1],
          ['promotedFrom', bucket, 3],
          ['parent', bucket, 2],
          ['parent', bucket, 1],
        ])
        expect(steps[3]!.dataset).toEqual({ Xname: 'x[^y]', rows: 3 })
        await om.models.drop('lin@1')
        const cut = await om.bucket('prod').models.lineage('lin')
        expect(cut.at(-1)).toMatchObject({ relation: 'parent', version: 1, unreachable: true })
      } finally {
        await close()
      }
    })

    it('a promote interrupted mid-copy leaves no partial version or blob in the target', async () => {
      const { om, close } = await openStore(options, bucket)
      const targetRaw = await options.factory()
      const state = { failAt: 1 }
      const target = await Omega.open({ store: failingBackend(targetRaw, state), bucket })
      target.registerEstimator('TestLinear', TestLinear)
      try {
        await om.models.put(new TestLinear({ w: 4 }), 'm')
        await rejectsWith(om.models.promote('m', target.models), 'E_BACKEND')
        expect(await target.models.exists('m')).toBe(false)
        expect(await snapshot(targetRaw)).toEqual({ docs: [], blobs: [] })
        await om.datasets.put(sampleTable(300, 100), 'table')
        state.failAt = 4 // the third of the table's four parts (schema + one per batch: its narrow columns share a part)
        await rejectsWith(om.datasets.promote('table', target.datasets), 'E_BACKEND')
        expect(await target.datasets.exists('table')).toBe(false)
        expect(await snapshot(targetRaw)).toEqual({ docs: [], blobs: [] })
        state.failAt = 0
        expect((await om.models.promote('m', target.models)).version).toBe(1)
        await om.datasets.promote('table', target.datasets)
        expect(((await target.datasets.get('table')) as { numRows: number }).numRows).toBe(300)
      } finally {
        await close()
        await target.close()
      }
    })

    it('promotes between two instances (different stores)', async () => {
      const a = await openStore(options, bucket)
      const b = await Omega.open({ store: 'memory:' })
      b.registerEstimator('TestLinear', TestLinear)
      try {
        await a.om.models.put(new TestLinear({ w: 5 }), 'x')
        const meta = await a.om.models.promote('x', b.models)
        expect(meta.attributes.promotedFrom).toMatchObject({ name: 'x', version: 1 })
        expect(String((meta.attributes.promotedFrom as { store: string }).store)).toContain(a.raw.location)
        expect(((await b.models.get('x')) as TestLinear).w).toBe(5)
      } finally {
        await a.close()
        await b.close()
      }
    })
  })
}
