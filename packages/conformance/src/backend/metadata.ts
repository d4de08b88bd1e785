import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { withBackend } from './with-backend.js'

/** MetadataStore: CRUD, compare-and-set, ordered prefix listing. */
export function metadataTests(options: BackendSuiteOptions): void {
  describe('metadata', () => {
    it('creates, reads, updates and deletes with revisions', async () => {
      await withBackend(options, async (b) => {
        expect(await b.meta.get('default/data/x')).toBeUndefined()
        const r1 = await b.meta.put('default/data/x', { a: 1, nested: { s: 'é✓', n: null, list: [1, true] } }, { ifRevision: null })
        const got = await b.meta.get('default/data/x')
        expect(got).toEqual({ key: 'default/data/x', doc: { a: 1, nested: { s: 'é✓', n: null, list: [1, true] } }, revision: r1 })
        const r2 = await b.meta.put('default/data/x', { a: 2 }, { ifRevision: r1 })
        expect(r2).not.toBe(r1)
        expect((await b.meta.get('default/data/x'))?.doc).toEqual({ a: 2 })
        await b.meta.delete('default/data/x', { ifRevision: r2 })
        expect(await b.meta.get('default/data/x')).toBeUndefined()
      })
    })

    it('compare-and-set: a stale or absent-only write is E_CONFLICT and changes nothing', async () => {
      await withBackend(options, async (b) => {
        const r1 = await b.meta.put('b/k', { v: 1 }, { ifRevision: null })
        await rejectsWith(b.meta.put('b/k', { v: 'dup' }, { ifRevision: null }), 'E_CONFLICT')
        const r2 = await b.meta.put('b/k', { v: 2 }, { ifRevision: r1 })
        await rejectsWith(b.meta.put('b/k', { v: 'stale' }, { ifRevision: r1 }), 'E_CONFLICT')
        await rejectsWith(b.meta.delete('b/k', { ifRevision: r1 }), 'E_CONFLICT')
        await rejectsWith(b.meta.put('b/none', { v: 1 }, { ifRevision: r2 }), 'E_CONFLICT')
        expect((await b.meta.get('b/k'))?.doc).toEqual({ v: 2 })
        await rejectsWith(b.meta.delete('b/none', { ifRevision: 'x' }), 'E_NOT_FOUND')
      })
    })

    it('20 concurrent writers with the same revision: exactly one wins', async () => {
      await withBackend(options, async (b) => {
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => b.meta.put('b/race', { i }, { ifRevision: null })))
        const won = results.filter((r) => r.status === 'fulfilled')
        expect(won).toHaveLength(1)
        for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('E_CONFLICT')
        const base = (await b.meta.get('b/race'))!
        const updates = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => b.meta.put('b/race', { u: i }, { ifRevision: base.revision })))
        expect(updates.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      })
    })

    it('lists by prefix in key order, reverse and limited, without neighbours', async () => {
      await withBackend(options, async (b) => {
        const keys = ['d/m/a/@0000000002', 'd/m/a/@0000000001', 'd/m/a/#tags', 'd/m/a/b/@0000000001', 'd/m/ab/@0000000001', 'd/m/é/@0000000001', 'e/m/a/@0000000001']
        for (const k of keys) await b.meta.put(k, { k }, { ifRevision: null })
        const list = async (prefix: string, o = {}): Promise<string[]> => {
          const out: string[] = []
          for await (const d of b.meta.list(prefix, o)) out.push(d.key)
          return out
        }
        expect(await list('d/m/a/@')).toEqual(['d/m/a/@0000000001', 'd/m/a/@0000000002'])
        expect(await list('d/m/a/@', { reverse: true, limit: 1 })).toEqual(['d/m/a/@0000000002'])
        expect(await list('d/m/a/')).toEqual(['d/m/a/#tags', 'd/m/a/@0000000001', 'd/m/a/@0000000002', 'd/m/a/b/@0000000001'])
        expect(await list('d/m/a')).toEqual(['d/m/a/#tags', 'd/m/a/@0000000001', 'd/m/a/@0000000002', 'd/m/a/b/@0000000001', 'd/m/ab/@0000000001'])
        expect(await list('d/')).toHaveLength(6)
        expect(await list('')).toHaveLength(7)
        expect(await list('zzz')).toEqual([])
        const docs = []
        for await (const d of b.meta.list('d/m/é/')) docs.push(d.doc)
        expect(docs).toEqual([{ k: 'd/m/é/@0000000001' }])
      })
    })

    it('listKeys (optional): the keys list yields, in the same order, also of long and odd names', async () => {
      await withBackend(options, async (b) => {
        const listKeys = b.meta.listKeys?.bind(b.meta)
        if (!listKeys) return
        const long = `d/m/${'n'.repeat(511)}x/@0000000001`
        const keys = ['d/m/a/@0000000002', 'd/m/a/@0000000001', 'd/m/a/#tags', 'd/m/a/b/@0000000001', 'd/m/ab/@0000000001', 'd/m/a b%2F~é/@0000000001', long, 'e/m/a/@0000000001']
        for (const k of keys) await b.meta.put(k, { k }, { ifRevision: null })
        const both = async (prefix: string, o = {}): Promise<[string[], string[]]> => {
          const listed: string[] = []
          for await (const d of b.meta.list(prefix, o)) listed.push(d.key)
          const only: string[] = []
          for await (const k of listKeys(prefix, o)) only.push(k)
          return [only, listed]
        }
        for (const [prefix, o] of [['d/m/a/@', {}], ['d/m/a/@', { reverse: true, limit: 1 }], ['d/m/a', {}], ['d/m/', { reverse: true }], ['d/m/nnn', {}], ['', {}], ['zzz', {}]] as const) {
          const [only, listed] = await both(prefix, o)
          expect(only).toEqual(listed)
        }
        expect((await both('d/m/a/@'))[0]).toEqual(['d/m/a/@0000000001', 'd/m/a/@0000000002'])
        expect((await both(''))[0]).toHaveLength(keys.length)
      })
    })

    it('handles the longest names (512 characters in one segment) and odd characters', async () => {
      await withBackend(options, async (b) => {
        const long = `d/data/${'n'.repeat(511)}x`
        const odd = 'd/data/a b%2F~!$&()+,;=:é漢字'
        await b.meta.put(long, { v: 1 }, { ifRevision: null })
        await b.meta.put(odd, { v: 2 }, { ifRevision: null })
        expect((await b.meta.get(long))?.doc).toEqual({ v: 1 })
        expect((await b.meta.get(odd))?.doc).toEqual({ v: 2 })
        const keys: string[] = []
        for await (const d of b.meta.list('d/data/')) keys.push(d.key)
        expect(keys.sort()).toEqual([odd, long].sort())
        const nPrefix: string[] = []
        for await (const d of b.meta.list('d/data/nnn')) nPrefix.push(d.key)
        expect(nPrefix).toEqual([long])
      })
    })
  })
}
