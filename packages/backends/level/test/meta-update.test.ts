// `meta.update` on LevelDB: reads under a lock, writes all or nothing, and serialises with put and
// delete on the same keys (core pins blobs and publishes documents through it).
import { describe, expect, it } from 'vitest'
import { OmegaError } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'

async function open(): Promise<LevelBackend> {
  const backend = new LevelBackend(tempDir('omega-level-update-'))
  await backend.open()
  return backend
}

describe('level: meta.update', () => {
  it('passes the current documents, applies puts and deletions at once and returns their revisions', async () => {
    const b = await open()
    try {
      const first = await b.meta.put('a', { n: 1 }, { ifRevision: null })
      const revisions = await b.meta.update!(['a', 'b'], (current) => {
        expect(current.get('a')).toEqual({ key: 'a', doc: { n: 1 }, revision: first })
        expect(current.has('b')).toBe(false)
        return [
          { key: 'a', doc: null },
          { key: 'b', doc: { n: 2 } },
          { key: 'c', doc: { n: 3 } },
        ]
      })
      expect(revisions[0]).toBe('')
      expect(await b.meta.get('a')).toBeUndefined()
      expect((await b.meta.get('b'))!.revision).toBe(revisions[1])
      // The returned revision is what compare-and-set compares.
      await b.meta.put('c', { n: 4 }, { ifRevision: revisions[2]! })
      expect((await b.meta.get('c'))!.doc).toEqual({ n: 4 })
    } finally {
      await b.close()
    }
  })

  it('writes nothing when fn throws, and an unreadable document is E_INTEGRITY', async () => {
    const b = await open()
    try {
      await b.meta.put('a', { n: 1 }, { ifRevision: null })
      await expect(
        b.meta.update!(['a'], () => {
          throw new OmegaError('E_CONFLICT', 'changed meanwhile')
        }),
      ).rejects.toMatchObject({ code: 'E_CONFLICT' })
      expect((await b.meta.get('a'))!.doc).toEqual({ n: 1 })
      await b.db.put('m!bad', '{"r":', { valueEncoding: 'utf8' })
      await expect(b.meta.update!(['a', 'bad'], () => [{ key: 'a', doc: { n: 9 } }])).rejects.toMatchObject({ code: 'E_INTEGRITY' })
      expect((await b.meta.get('a'))!.doc).toEqual({ n: 1 })
    } finally {
      await b.close()
    }
  })

  it('serialises with puts and other updates of the same keys: no increment is lost', async () => {
    const b = await open()
    try {
      await b.meta.put('count', { n: 0 }, { ifRevision: null })
      const increment = (): Promise<string[]> =>
        b.meta.update!(['count', 'other'], async (current) => {
          const n = current.get('count')!.doc.n as number
          await new Promise((r) => setTimeout(r, 1))
          return [{ key: 'count', doc: { n: n + 1 } }]
        })
      const viaPut = async (): Promise<void> => {
        for (;;) {
          const stored = (await b.meta.get('count'))!
          try {
            await b.meta.put('count', { n: (stored.doc.n as number) + 1 }, { ifRevision: stored.revision })
            return
          } catch (err) {
            if (!OmegaError.is(err, 'E_CONFLICT')) throw err
          }
        }
      }
      await Promise.all([...Array.from({ length: 20 }, increment), ...Array.from({ length: 20 }, viaPut)])
      expect((await b.meta.get('count'))!.doc).toEqual({ n: 40 })
    } finally {
      await b.close()
    }
  })
})
