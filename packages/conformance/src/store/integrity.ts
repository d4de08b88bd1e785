import { Omega, sha256Hex, type FsckProblem } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { TestLinear, openStore, snapshot } from './open-store.js'

const HOUR = 60 * 60 * 1000

function kinds(problems: readonly FsckProblem[]): string[] {
  return problems.map((p) => `${p.kind}:${p.name ?? p.key ?? ''}`).sort()
}

/** Store integrity (issue 10): unreadable documents stay local, blobs are collected, fsck finds and repairs. */
export function integrityTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`integrity (bucket ${bucket})`, () => {
    const corrupt = options.corruptDocument
    it.skipIf(!corrupt)('one unreadable document fails only its own object; list, puts and drops elsewhere work; fsck reports it', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put({ a: 1 }, 'a')
        await om.datasets.put({ b: 2 }, 'b')
        await om.models.put(new TestLinear({ w: 1 }), 'm')
        await om.models.put(new TestLinear({ w: 2 }), 'm')
        await corrupt!(raw, `${bucket}/data/a`)
        await corrupt!(raw, `${bucket}/models/m/@${'2'.padStart(10, '0')}`)
        expect(await om.datasets.list()).toEqual(['b'])
        const err = await rejectsWith(om.datasets.get('a'), 'E_INTEGRITY')
        expect(err.message).toContain(`${bucket}/data/a`)
        expect(await om.datasets.get('b')).toEqual({ b: 2 })
        expect(await om.models.list()).toEqual(['m'])
        const merr = await rejectsWith(om.models.get('m'), 'E_INTEGRITY')
        expect(merr.message).toContain('"m"')
        expect(((await om.models.get('m@1')) as TestLinear).w).toBe(1)
        // Writes elsewhere, including replace-puts and drops that release blobs, succeed.
        await om.datasets.put({ b: 3 }, 'b')
        await om.datasets.put({ c: 1 }, 'c')
        expect(await om.datasets.drop('c')).toBe(true)
        expect((await om.models.put(new TestLinear({ w: 3 }), 'm')).version).toBe(3)
        expect(((await om.models.get('m')) as TestLinear).w).toBe(3)
        await om.models.put(new TestLinear({ w: 5 }), 'other')
        expect(await om.models.drop('other')).toBe(true)
        const report = await om.fsck({ graceMs: 0 })
        expect(kinds(report.problems)).toEqual(['bad-document:a', 'bad-document:m@2'])
        expect(report.problems[0]!.key).toBe(`${bucket}/data/a`)
      } finally {
        await close()
      }
    })

    it('drop and replace-put delete bytes nothing else holds, and keep shared bytes', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i % 251)
        await om.datasets.put(bytes, 'one')
        await om.datasets.put(bytes, 'two')
        await om.datasets.drop('one')
        expect(Buffer.from((await om.datasets.get('two')) as Uint8Array)).toEqual(Buffer.from(bytes))
        await om.datasets.put(Uint8Array.of(1, 2, 3), 'two')
        expect((await snapshot(raw)).blobs).toEqual([sha256Hex(Uint8Array.of(1, 2, 3))])
        await om.datasets.put(bytes, 'one')
        await om.datasets.put(bytes, 'one')
        expect((await snapshot(raw)).blobs).toHaveLength(2)
        await om.datasets.drop('*')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await close()
      }
    })

    it.skipIf(!options.tamper)('fsck finds integrity, missing-blob, orphan and stale-temp problems; repair removes only old orphans and temps', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const x = await om.datasets.put(Uint8Array.from({ length: 3000 }, (_, i) => i % 7), 'x')
        const y = await om.datasets.put(Uint8Array.from({ length: 2000 }, (_, i) => i % 11), 'y')
        await om.datasets.put({ fine: true }, 'z')
        await om.models.put(new TestLinear({ w: 4 }), 'model')
        const clean = await om.fsck()
        expect(clean.problems).toEqual([])
        expect(clean.checked).toBe(4)
        expect(clean.bytes).toBeGreaterThan(5000)
        await options.tamper!(raw, x.sha256)
        await raw.blobs.delete(y.sha256)
        const orphan = await raw.blobs.write(Uint8Array.of(9, 9, 9))
        await options.leaveTemp?.(raw, Date.now() - 2 * HOUR)
        await options.leaveTemp?.(raw, Date.now())
        // With the default grace period (one hour) a fresh orphan or temp may belong to a put in progress.
        const found = await om.fsck()
        const expected = ['integrity:x', 'missing-blob:y']
        if (options.leaveTemp) expected.push('stale-temp:')
        expect(kinds(found.problems).map((k) => k.replace(/^stale-temp:.*/, 'stale-temp:'))).toEqual(expected)
        expect(found.problems.find((p) => p.kind === 'integrity')!.detail).toContain(x.sha256)
        const repaired = await om.fsck({ repair: true, graceMs: 0 })
        const rkinds = kinds(repaired.problems).map((k) => k.replace(/^(stale-temp|orphan):.*/, '$1:'))
        expect(rkinds).toEqual(['integrity:x', 'missing-blob:y', 'orphan:', ...(options.leaveTemp ? ['stale-temp:', 'stale-temp:'] : [])])
        expect(repaired.problems.filter((p) => p.repaired).map((p) => p.kind).sort()).toEqual(['orphan', ...(options.leaveTemp ? ['stale-temp', 'stale-temp'] : [])])
        expect(await raw.blobs.has(orphan.sha256)).toBe(false)
        // A second run finds nothing more to repair; the damaged objects are still reported.
        const again = await om.fsck({ repair: true, graceMs: 0 })
        expect(kinds(again.problems)).toEqual(['integrity:x', 'missing-blob:y'])
        expect(again.repaired).toBe(0)
        await rejectsWith(om.datasets.get('x'), 'E_INTEGRITY')
        expect(await om.datasets.get('z')).toEqual({ fine: true })
        await om.datasets.drop('x')
        await om.datasets.drop('y')
        expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
        await rejectsWith(om.fsck({ graceMs: -1 }), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('a put interrupted after pinning leaves a reference that fsck repair removes after the grace period', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put({ keep: 1 }, 'keep')
        // What a killed put leaves: bytes and a reference record naming a commit no document has.
        const ref = await raw.blobs.write(Uint8Array.of(4, 5, 6))
        const young = await raw.blobs.write(Uint8Array.of(7, 8))
        await new Promise((r) => setTimeout(r, 80))
        const at = new Date(Date.now() - 2 * HOUR).toISOString()
        await raw.meta.put(`#blobs/${ref.sha256.slice(0, 2)}/${ref.sha256}`, { holders: { 'dead-commit': at } }, { ifRevision: null })
        // …and a put still running in another process: its pin is younger than the grace period (dated ahead, so a slow run cannot age it).
        await raw.meta.put(`#blobs/${young.sha256.slice(0, 2)}/${young.sha256}`, { holders: { 'running-commit': new Date(Date.now() + HOUR).toISOString() } }, { ifRevision: null })
        const report = await om.fsck({ repair: true, graceMs: 40 })
        expect(report.problems.map((p) => [p.kind, p.key, p.repaired])).toEqual([['orphan', ref.sha256, true]])
        expect(await raw.blobs.has(ref.sha256)).toBe(false)
        expect(await raw.blobs.has(young.sha256)).toBe(true)
        expect((await om.fsck({ repair: true, graceMs: 40 })).problems).toEqual([])
        expect(await om.datasets.get('keep')).toEqual({ keep: 1 })
      } finally {
        await close()
      }
    })

    it('a store written before reference records: drops never delete bytes an older document uses; fsck repair adopts it', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      const bytes = Uint8Array.from({ length: 4000 }, (_, i) => (i * 13) % 256)
      const sha = sha256Hex(bytes)
      try {
        await om.datasets.put(bytes, 'old')
        // Make it look like an older store: no pins in the document, no record, no format marker.
        const key = `${bucket}/data/old`
        const stored = (await raw.meta.get(key))!
        const { pins: _pins, ...doc } = stored.doc
        await raw.meta.put(key, doc, { ifRevision: stored.revision })
        const record = (await raw.meta.get(`#blobs/${sha.slice(0, 2)}/${sha}`))!
        await raw.meta.delete(record.key, { ifRevision: record.revision })
        const marker = (await raw.meta.get('#format'))!
        await raw.meta.delete('#format', { ifRevision: marker.revision })
      } finally {
        await close()
      }
      const again = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
      try {
        await again.datasets.put(bytes, 'new')
        await again.datasets.drop('new')
        expect(Buffer.from((await again.datasets.get('old')) as Uint8Array)).toEqual(Buffer.from(bytes))
        const report = await again.fsck({ repair: true, graceMs: 0 })
        expect(report.problems).toEqual([])
        expect((await raw.meta.get(`${bucket}/data/old`))!.doc.pins).toBeDefined()
        expect(await raw.meta.get('#format')).toBeDefined()
        // Adopted: the last drop now frees the bytes at once.
        await again.datasets.drop('old')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await again.close()
      }
    })
  })
}
