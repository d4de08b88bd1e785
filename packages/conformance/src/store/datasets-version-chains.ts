import { Omega, type JsonObject, type Metadata } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { openStore, snapshot } from './open-store.js'
import { V1, column, rows } from './datasets-versions.js'

/**
 * Dataset versions as delta chains: an append's document lists only its new parts and refers to
 * its base; drops keep what later versions read; documents written before deltas still work; fsck
 * understands the chains.
 */
export function datasetVersionChainTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`dataset version chains (bucket ${bucket})`, () => {
    it('an append version stores only its new parts and its base: documents stay small; drops of middle versions keep what later ones read', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 10), 'ch')
        for (let i = 1; i < 30; i++) await om.datasets.put(rows(10 * i, 10), 'ch', { append: true })
        const first = (await raw.meta.get(`${bucket}/data/ch/${V1}`))!.doc
        const last = (await raw.meta.get(`${bucket}/data/ch/@0000000030`))!.doc
        expect(last.base).toMatchObject({ version: 29 })
        expect(Object.keys(last.parts as object).length).toBeLessThanOrEqual(Object.keys(first.parts as object).length)
        expect(JSON.stringify(last).length).toBeLessThan(JSON.stringify(first).length * 2)
        const meta = (await om.datasets.metadata('ch'))!
        expect(meta.kindMeta.rows).toBe(300)
        expect((meta.kindMeta.batches as unknown[]).length).toBe(30)
        expect(meta).not.toHaveProperty('base')
        const all = Array.from({ length: 300 }, (_, i) => i)
        expect(column(await om.datasets.get('ch'), 'a')).toEqual(all)
        expect(column(await om.datasets.get('ch@15'), 'a')).toEqual(all.slice(0, 150))
        expect(column(await om.datasets.get('ch@1'), 'a')).toEqual(all.slice(0, 10))
        // Middle versions and the first go; the versions built on them read the same.
        for (const v of [1, 10, 11, 12, 20]) await om.datasets.drop(`ch@${v}`)
        await rejectsWith(om.datasets.get('ch@11'), 'E_NOT_FOUND')
        expect(column(await om.datasets.get('ch@13'), 'a')).toEqual(all.slice(0, 130))
      } finally {
        await close()
      }
      // A new instance walks the chains from the stored documents (no cache).
      const om2 = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        const all = Array.from({ length: 300 }, (_, i) => i)
        expect(column(await om2.datasets.get('ch'), 'a')).toEqual(all)
        expect(column(await om2.datasets.get('ch@13'), 'a')).toEqual(all.slice(0, 130))
        expect((await om2.fsck({ graceMs: 0 })).problems).toEqual([])
        // Dropping the latest frees only its own batch.
        const before = (await snapshot(raw)).blobs.length
        await om2.datasets.drop('ch@30')
        expect((await snapshot(raw)).blobs.length).toBe(before - 1)
        expect(column(await om2.datasets.get('ch'), 'a')).toEqual(all.slice(0, 290))
        await om2.datasets.drop('ch')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
        expect((await om2.fsck({ graceMs: 0 })).problems).toEqual([])
      } finally {
        await om2.close()
      }
    })

    it('keep: N on appends: dropped versions stay while kept ones build on them, and their bytes go with the last of those', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 10), 'kk', { keep: 2 })
        for (let i = 1; i < 6; i++) await om.datasets.put(rows(10 * i, 10), 'kk', { append: true })
        expect((await om.datasets.revisions('kk')).map((r) => r.version)).toEqual([5, 6])
        expect(column(await om.datasets.get('kk'), 'a')).toEqual(Array.from({ length: 60 }, (_, i) => i))
        expect(column(await om.datasets.get('kk@5'), 'a')).toEqual(Array.from({ length: 50 }, (_, i) => i))
        expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
        // Two full puts: nothing builds on the appended chain any more, so all of it goes.
        const v7 = await om.datasets.put(rows(1000, 5), 'kk')
        const v8 = await om.datasets.put(rows(2000, 5), 'kk')
        expect((await om.datasets.revisions('kk')).map((r) => r.version)).toEqual([7, 8])
        const kept = new Set([...Object.values(v7.parts), ...Object.values(v8.parts)].map((r) => r.sha256))
        expect((await snapshot(raw)).blobs).toEqual([...kept].sort())
        expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      } finally {
        await close()
      }
    })

    it('appended versions written before deltas (every part listed) still read, take appends and drop cleanly', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 10), 'o')
        await om.datasets.put(rows(10, 10), 'o', { append: true })
        await om.datasets.put(rows(20, 10), 'o', { append: true })
        // What the release before deltas stored: each append lists every part, with the holders of the versions that wrote them.
        const pins: Record<string, string> = {}
        for (const v of [1, 2, 3]) {
          const key = `${bucket}/data/o/@${String(v).padStart(10, '0')}`
          const stored = (await raw.meta.get(key))!
          Object.assign(pins, stored.doc.pins)
          if (v === 1) continue
          const full = (await om.datasets.metadata(`o@${v}`))!
          const { base: _b, ...doc } = stored.doc
          await raw.meta.put(key, { ...doc, parts: full.parts as unknown as JsonObject, kindMeta: full.kindMeta, pins: { ...pins } }, { ifRevision: stored.revision })
        }
        for (const v of [1, 2]) {
          const record = await raw.meta.get(`${bucket}/data/o/#builds/@${String(v).padStart(10, '0')}`)
          if (record) await raw.meta.delete(record.key, { ifRevision: record.revision })
        }
      } finally {
        await close()
      }
      const om2 = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        expect(column(await om2.datasets.get('o@2'), 'a')).toEqual(Array.from({ length: 20 }, (_, i) => i))
        expect(column(await om2.datasets.get('o'), 'a')).toEqual(Array.from({ length: 30 }, (_, i) => i))
        const v4 = await om2.datasets.put(rows(30, 10), 'o', { append: true })
        expect((await raw.meta.get(`${bucket}/data/o/@0000000004`))!.doc.base).toMatchObject({ version: 3 })
        for (const v of [1, 2, 3]) await om2.datasets.drop(`o@${v}`)
        expect(column(await om2.datasets.get('o'), 'a')).toEqual(Array.from({ length: 40 }, (_, i) => i))
        expect((await om2.fsck({ graceMs: 0 })).problems).toEqual([])
        expect((await snapshot(raw)).blobs).toEqual([...new Set(Object.values(v4.parts).map((r) => r.sha256))].sort())
        await om2.datasets.drop('o')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await om2.close()
      }
    })

    it('fsck: a holder left by an append that died keeps a dropped base only until fsck repairs it', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 10), 'fz')
        const v2 = await om.datasets.put(rows(10, 10), 'fz', { append: true })
        // An append on version 2 held it, then its process died before publishing.
        await raw.meta.put(`${bucket}/data/fz/#builds/@0000000002`, { holders: { dead: '2000-01-01T00:00:00.000Z' } }, { ifRevision: null })
        await om.datasets.drop('fz@2')
        const report = await om.fsck({ graceMs: 0 })
        expect(report.problems.map((p) => p.kind)).toEqual(['orphan', 'orphan'])
        const repaired = await om.fsck({ graceMs: 0, repair: true })
        expect(repaired.repaired).toBe(2)
        expect((await om.fsck({ graceMs: 0, repair: true })).problems).toEqual([])
        const v1 = (await om.datasets.metadata('fz@1'))!
        expect((await snapshot(raw)).blobs).toEqual([...new Set(Object.values(v1.parts).map((r) => r.sha256))].sort())
        expect(column(await om.datasets.get('fz'), 'a')).toEqual(Array.from({ length: 10 }, (_, i) => i))
        // The next append after the dropped latest is refused as before; a full put then appends work.
        await rejectsWith(om.datasets.put(rows(20, 1), 'fz', { append: true }), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('a delta whose base document is gone is E_INTEGRITY (never partial data), fsck names it, and it can be dropped', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(rows(0, 10), 'br')
        await om.datasets.put(rows(10, 10), 'br', { append: true })
        const base = (await raw.meta.get(`${bucket}/data/br/${V1}`))!
        await raw.meta.delete(base.key, { ifRevision: base.revision })
      } finally {
        await close()
      }
      const om2 = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        const err = await rejectsWith(om2.datasets.get('br'), 'E_INTEGRITY')
        expect(err.message).toContain('br@2')
        const problems = (await om2.fsck({ graceMs: 0 })).problems.filter((p) => p.kind === 'missing-blob')
        expect(problems).toEqual([expect.objectContaining({ name: 'br@2', detail: expect.stringContaining('extends version 1') })])
        expect(await om2.datasets.drop('br@2')).toBe(true)
        expect(await om2.datasets.exists('br')).toBe(false)
      } finally {
        await om2.close()
      }
    })

  })
}
