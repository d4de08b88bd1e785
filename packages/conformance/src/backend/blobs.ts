import { collectBytes, sha256Hex } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { chunked, everyByte, rejectsWith, type BackendSuiteOptions } from '../context.js'
import { withBackend } from './with-backend.js'

/** BlobStore: round trips of every size, idempotence, and no readable blob after a failed write. */
export function blobTests(options: BackendSuiteOptions): void {
  describe('blobs', () => {
    const sizes: [string, Uint8Array][] = [
      ['0 bytes', new Uint8Array(0)],
      ['1 byte', Uint8Array.of(42)],
      ['every byte value', everyByte(256 * 3 + 7)],
    ]
    it.each(sizes)('round-trips %s', async (_, bytes) => {
      await withBackend(options, async (b) => {
        const ref = await b.blobs.write(bytes)
        expect(ref).toEqual({ sha256: sha256Hex(bytes), size: bytes.byteLength })
        expect(await b.blobs.has(ref.sha256)).toBe(true)
        expect(Buffer.from(await collectBytes(b.blobs.read(ref.sha256)))).toEqual(Buffer.from(bytes))
      })
    })

    it('round-trips 10 MB written as a stream of odd-sized chunks', async () => {
      const bytes = new Uint8Array(10 * 1024 * 1024)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24
      await withBackend(options, async (b) => {
        const ref = await b.blobs.write(chunked(bytes, 333_333))
        expect(ref.size).toBe(bytes.byteLength)
        expect(ref.sha256).toBe(sha256Hex(bytes))
        const back = await collectBytes(b.blobs.read(ref.sha256))
        expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0)
      })
    })

    it('re-writing stored bytes is a no-op that returns the same address', async () => {
      await withBackend(options, async (b) => {
        const bytes = everyByte(1000)
        const [r1, r2] = await Promise.all([b.blobs.write(bytes), b.blobs.write(chunked(bytes, 100))])
        expect(r1).toEqual(r2)
        const all = []
        for await (const ref of b.blobs.list()) all.push(ref)
        expect(all.filter((r) => r.sha256 === r1.sha256)).toHaveLength(1)
      })
    })

    it('a source that throws mid-write leaves no readable blob', async () => {
      await withBackend(options, async (b) => {
        const bytes = everyByte(4096)
        await expect(b.blobs.write(chunked(bytes, 512, 3))).rejects.toThrow('source failed mid-stream')
        expect(await b.blobs.has(sha256Hex(bytes))).toBe(false)
        const listed = []
        for await (const ref of b.blobs.list()) listed.push(ref)
        expect(listed).toEqual([])
      })
    })

    it('an aborted write rejects with E_ABORTED and leaves no blob', async () => {
      await withBackend(options, async (b) => {
        const controller = new AbortController()
        async function* slow(): AsyncIterable<Uint8Array> {
          yield everyByte(100)
          controller.abort()
          yield everyByte(100)
        }
        await rejectsWith(b.blobs.write(slow(), { signal: controller.signal }), 'E_ABORTED')
        const listed = []
        for await (const ref of b.blobs.list()) listed.push(ref)
        expect(listed).toEqual([])
      })
    })

    it('reading or deleting a missing blob', async () => {
      await withBackend(options, async (b) => {
        const missing = sha256Hex('nothing here')
        expect(await b.blobs.has(missing)).toBe(false)
        await rejectsWith(collectBytes(b.blobs.read(missing)), 'E_NOT_FOUND')
        await b.blobs.delete(missing)
        const ref = await b.blobs.write(Uint8Array.of(1, 2, 3))
        await b.blobs.delete(ref.sha256)
        expect(await b.blobs.has(ref.sha256)).toBe(false)
      })
    })
  })
}
