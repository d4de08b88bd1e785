// The interleaving that lost data across processes, made deterministic: a drop elsewhere deletes
// the bytes right after this put wrote (or found) them and before it pinned them.
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { MemoryBackend, Omega, OmegaError, type StorageBackend } from '@omega/core'

/** A backend whose next blob write is followed at once by a deletion of those bytes. */
function racingBackend(): { backend: StorageBackend; inner: MemoryBackend; arm: () => void; writes: () => number } {
  const inner = new MemoryBackend()
  let armed = false
  let writes = 0
  const write: StorageBackend['blobs']['write'] = async (source, options) => {
    writes++
    const ref = await inner.blobs.write(source, options)
    if (armed) {
      armed = false
      await inner.blobs.delete(ref.sha256) // the other process's drop wins the race
    }
    return ref
  }
  const through = <T extends object>(target: T, override: Partial<T>): T =>
    new Proxy(target, {
      get: (t, key) => (key in override ? override[key as keyof T] : typeof t[key as keyof T] === 'function' ? (t[key as keyof T] as () => unknown).bind(t) : t[key as keyof T]),
    })
  const backend = through<StorageBackend>(inner, { blobs: through(inner.blobs, { write }) })
  return { backend, inner, arm: () => (armed = true), writes: () => writes }
}

describe('a put that races a deletion of identical bytes', () => {
  it('writes in-memory bytes again after pinning them, so the committed object reads back', async () => {
    const { backend, arm, writes } = racingBackend()
    const om = await Omega.open({ store: backend })
    try {
      const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 256)
      arm()
      await om.datasets.put(bytes, 'x')
      expect(writes()).toBe(2)
      expect(Buffer.from((await om.datasets.get('x')) as Uint8Array)).toEqual(Buffer.from(bytes))
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
    } finally {
      await om.close()
    }
  })

  it('fails a streamed put with E_CONFLICT and stores nothing (the stream cannot be replayed)', async () => {
    const { backend, inner, arm } = racingBackend()
    const om = await Omega.open({ store: backend })
    try {
      arm()
      const err = await om.datasets.put(Readable.from([Buffer.from('streamed bytes')]), 'y').then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(OmegaError.is(err, 'E_CONFLICT')).toBe(true)
      expect(await om.datasets.exists('y')).toBe(false)
      expect([...inner.data.docs.keys()].filter((k) => k !== '#format')).toEqual([])
      expect(inner.data.blobs.size).toBe(0)
      await om.datasets.put(Readable.from([Buffer.from('streamed bytes')]), 'y')
      expect(Buffer.from((await om.datasets.get('y')) as Uint8Array).toString()).toBe('streamed bytes')
    } finally {
      await om.close()
    }
  })
})
