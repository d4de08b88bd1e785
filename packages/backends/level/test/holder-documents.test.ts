// LevelDB keeps each holder of a blob as a document of its own (`#blobs/<ab>/<sha>/<holder>`),
// written with the pin and the object's document in one atomic update. A store written before
// (every holder listed inside the record, one compare-and-set each) must keep working: its records
// are read, extended and released by the new code, and bytes go only with their last holder.
import { describe, expect, it } from 'vitest'
import { Omega, sha256Hex, type StorageBackend } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'

/** The backend as releases before `meta.update` saw it: core then lists every holder inside the record. */
function withoutUpdate(inner: LevelBackend): StorageBackend {
  const m = inner.meta
  const meta = { get: m.get.bind(m), put: m.put.bind(m), delete: m.delete.bind(m), list: m.list.bind(m), listKeys: m.listKeys!.bind(m) }
  return { scheme: inner.scheme, location: inner.location, supports: inner.supports, blobs: inner.blobs, meta, open: () => inner.open(), close: () => inner.close() }
}

const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 251)
const sha = sha256Hex(bytes)
const record = `#blobs/${sha.slice(0, 2)}/${sha}`

async function docs(backend: StorageBackend, prefix: string): Promise<string[]> {
  const out: string[] = []
  for await (const d of backend.meta.list(prefix)) out.push(d.key)
  return out
}

/** After the last holder's drop: no bytes, no record, no holder document, and fsck finds nothing. */
async function expectBytesGone(om: Omega, backend: LevelBackend): Promise<void> {
  expect(await backend.blobs.has(sha)).toBe(false)
  expect(await docs(backend, '#blobs/')).toEqual([])
  expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
}

describe('level: blob holders as documents', () => {
  it('pinning bytes 200 versions already hold writes one small document, not a longer record', async () => {
    const backend = new LevelBackend(tempDir('omega-holders-'))
    const om = await Omega.open({ store: backend })
    try {
      for (let i = 0; i < 200; i++) await om.datasets.put(bytes, 'm')
      const stored = (await backend.meta.get(record))!
      expect(stored.doc).toEqual({ holders: {} })
      expect(await docs(backend, `${record}/`)).toHaveLength(200)
      await om.datasets.drop('m@1')
      expect(await docs(backend, `${record}/`)).toHaveLength(199)
      await om.datasets.drop('m')
      await expectBytesGone(om, backend)
    } finally {
      await om.close()
    }
  })

  it('a store whose records list their holders inside (written before) reads, pins, drops and fscks cleanly', async () => {
    const dir = tempDir('omega-holders-old-')
    const old = new LevelBackend(dir)
    const before = await Omega.open({ store: withoutUpdate(old) })
    try {
      await before.datasets.put(bytes, 'a')
      await before.datasets.put(bytes, 'a')
      await before.datasets.put(bytes, 'd')
    } finally {
      await before.close()
    }
    const backend = new LevelBackend(dir)
    const om = await Omega.open({ store: backend })
    try {
      // Written the old way: three holders inside the record, no holder documents.
      expect(Object.keys((await backend.meta.get(record))!.doc.holders as object)).toHaveLength(3)
      expect(await docs(backend, `${record}/`)).toEqual([])
      expect(Buffer.from((await om.datasets.get('a@1')) as Uint8Array)).toEqual(Buffer.from(bytes))
      await om.datasets.put(bytes, 'b')
      expect(await docs(backend, `${record}/`)).toHaveLength(1)
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      // Old holders and the new one go in any order; the bytes stay until the last.
      await om.datasets.drop('a@1')
      await om.datasets.drop('b')
      await om.datasets.drop('d')
      expect(Object.keys((await backend.meta.get(record))!.doc.holders as object)).toHaveLength(1)
      expect(Buffer.from((await om.datasets.get('a')) as Uint8Array)).toEqual(Buffer.from(bytes))
      await om.datasets.drop('a')
      await expectBytesGone(om, backend)
    } finally {
      await om.close()
    }
  })
})
