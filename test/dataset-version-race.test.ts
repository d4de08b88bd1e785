// Issue 11: dropping the version an append builds on must never expose the append's version with
// bytes missing (SPEC §7: no partial object is visible), on real LevelDB and fs stores.
// The first test makes the bad interleaving happen every time: the drop of the base runs to its
// end while the append is about to publish, and the new version is read the instant it is
// published. The second runs appenders, droppers and readers concurrently.
import { Table, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { FsBackend, LevelBackend, Omega, OmegaError, type StorageBackend } from '@omega/omega'
import { tempDir } from '@omega/conformance'

function rows(from: number, n: number): Table {
  return new Table({ a: vectorFromArray(Int32Array.from({ length: n }, (_, i) => from + i)) })
}

/** The backend, with a hook that runs just before a version document of an append is written and one right after. */
function hooked(inner: StorageBackend, before: (doc: Record<string, unknown>) => Promise<void>, after: (doc: Record<string, unknown>) => Promise<void>): StorageBackend {
  const isAppendVersion = (key: string, doc: Record<string, unknown>): boolean =>
    key.includes('/@') && doc.kind === 'arrow.table' && doc.dropped !== true && typeof doc.version === 'number' && doc.version > 1
  const meta: StorageBackend['meta'] = {
    get: (k) => inner.meta.get(k),
    list: (p, o) => inner.meta.list(p, o),
    delete: (k, o) => inner.meta.delete(k, o),
    put: async (key, doc, options) => {
      const hook = isAppendVersion(key, doc)
      if (hook) await before(doc)
      const revision = await inner.meta.put(key, doc, options)
      if (hook) await after(doc)
      return revision
    },
  }
  return { scheme: inner.scheme, location: inner.location, supports: inner.supports, meta, blobs: inner.blobs, open: () => inner.open(), close: () => inner.close(), ...(inner.scratch && { scratch: inner.scratch }) }
}

const BACKENDS: [string, (dir: string) => StorageBackend][] = [
  ['level', (dir) => new LevelBackend(dir)],
  ['fs', (dir) => new FsBackend(dir, { fsync: false })],
]

describe.each(BACKENDS)('dataset versions on %s: drops racing appends', (_label, make) => {
  it('a drop of the base that completes while an append publishes never leaves a readable-but-broken version', async () => {
    let om: Omega | undefined
    const seen: string[] = []
    const store = hooked(
      make(tempDir('omega-dsv-race-')),
      async (doc) => {
        // The append has read and checked its base: now the base is dropped, to the end.
        await om!.datasets.drop(`${doc.name as string}@${(doc.version as number) - 1}`)
      },
      async (doc) => {
        // The instant the version is published, a reader reads it whole.
        const ref = `${doc.name as string}@${doc.version as number}`
        try {
          seen.push(`${ref}: ${(await om!.datasets.get<Table>(ref)).numRows} rows`)
        } catch (err) {
          seen.push(`${ref}: ${OmegaError.is(err) ? err.code : 'error'} ${(err as Error).message}`)
        }
      },
    )
    om = await Omega.open({ store })
    try {
      for (let i = 0; i < 5; i++) {
        const name = `r${i}`
        await om.datasets.put(rows(0, 20), name)
        const appended = await om.datasets.put(rows(20, 5), name, { append: true }).then(
          (m) => m.version,
          (err: unknown) => (OmegaError.is(err) ? err.code : String(err)),
        )
        // Either the append won (its version is whole, now and later) or it published nothing.
        if (typeof appended === 'number') {
          expect((await om.datasets.get<Table>(`${name}@${appended}`)).numRows).toBe(25)
          expect(Array.from((await om.datasets.get<Table>(name)).getChild('a')!.toArray() as Int32Array)).toEqual(Array.from({ length: 25 }, (_, k) => k))
        }
      }
      expect(seen).toEqual(Array.from({ length: 5 }, (_, i) => `r${i}@2: 25 rows`))
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      // Dropping the survivors frees everything: the retained bases go with them.
      await om.datasets.drop('r*')
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      const left: string[] = []
      for await (const b of store.blobs.list()) left.push(b.sha256)
      expect(left).toEqual([])
    } finally {
      await om.close()
    }
  })

  it('appenders, droppers of the latest version and readers in parallel: every visible version reads whole', async () => {
    const om = await Omega.open({ store: make(tempDir('omega-dsv-loop-')) })
    const failures: string[] = []
    try {
      const names = ['x', 'y']
      for (const n of names) await om.datasets.put(rows(0, 10), n)
      const until = Date.now() + 2500
      let appends = 0
      let drops = 0
      let reads = 0
      const appender = async (name: string): Promise<void> => {
        while (Date.now() < until) {
          try {
            await om.datasets.put(rows(0, 10), name, { append: true })
            appends++
          } catch (err) {
            if (!OmegaError.is(err, 'E_INVALID_ARGUMENT') && !OmegaError.is(err, 'E_CONFLICT')) throw err
            // The latest version was dropped: start again from a full put.
            await om.datasets.put(rows(0, 10), name)
          }
        }
      }
      const dropper = async (name: string): Promise<void> => {
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, Math.random() * 4))
          const latest = await om.datasets.metadata(name)
          if (latest && (await om.datasets.drop(`${name}@${latest.version}`, { force: true }))) drops++
        }
      }
      const reader = async (name: string): Promise<void> => {
        while (Date.now() < until) {
          const revs = await om.datasets.revisions(name).catch(() => [])
          for (const r of revs.slice(-3)) {
            try {
              const t = await om.datasets.get<Table>(`${name}@${r.version}`)
              if (t.numRows % 10 !== 0 || t.numRows === 0) failures.push(`${name}@${r.version}: ${t.numRows} rows`)
              reads++
            } catch (err) {
              if (!OmegaError.is(err, 'E_NOT_FOUND')) failures.push(`${name}@${r.version}: ${(err as Error).message}`)
            }
          }
        }
      }
      await Promise.all(names.flatMap((n) => [appender(n), dropper(n), reader(n)]))
      expect(failures).toEqual([])
      expect(appends).toBeGreaterThan(10)
      expect(drops).toBeGreaterThan(5)
      expect(reads).toBeGreaterThan(10)
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
    } finally {
      await om.close()
    }
  })
})
