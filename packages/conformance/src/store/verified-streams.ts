import { Readable } from 'node:stream'
import { OmegaError, collectBytes, type Metadata } from '@omega/core'
import { tableFromArrays, type Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { openStore } from './open-store.js'

/** Deterministic bytes that are not periodic (a flipped byte cannot hide in a repeat). */
function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** Reads a stream until it ends or throws; returns what was delivered and the error. */
async function drain(stream: AsyncIterable<Uint8Array>): Promise<{ bytes: Uint8Array; error: unknown }> {
  const chunks: Uint8Array[] = []
  let error: unknown
  try {
    for await (const chunk of stream) chunks.push(Uint8Array.from(chunk))
  } catch (err) {
    error = err
  }
  return { bytes: await collectBytes(Readable.from(chunks)), error }
}

/** The chunk size recorded for a file dataset's only part. */
function chunkSize(meta: Metadata): number {
  const chunks = meta.parts.data?.chunks
  expect(chunks, 'a multi-MB part records chunk digests').toBeDefined()
  return chunks!.size
}

/** Streaming reads deliver only verified bytes: each chunk is checked before any byte of it goes out. */
export function verifiedStreamTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`verified streams (bucket ${bucket})`, () => {
    const SIZE = 5 * 1024 * 1024 + 12_345
    const bytes = noise(SIZE)

    it('a correct multi-MB file streams identically; its part records chunk digests', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const meta = await om.datasets.put(Readable.from([bytes.subarray(0, 777_777), bytes.subarray(777_777)]), 'big')
        expect(meta.parts.data).toMatchObject({ size: SIZE, chunks: { size: 1024 * 1024, leaf: 1024 * 1024 } })
        const { bytes: back, error } = await drain(await om.datasets.open('big'))
        expect(error).toBeUndefined()
        expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0)
        const fromArray = await om.datasets.put(bytes, 'big2')
        expect(fromArray.parts.data).toEqual(meta.parts.data)
      } finally {
        await close()
      }
    })

    it('a byte flipped mid-file: open() delivers exactly the prefix before the bad chunk, then E_INTEGRITY naming the object', async (ctx) => {
      if (!options.tamper) return ctx.skip()
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const meta = await om.datasets.put(bytes, 'mid')
        const offset = 3 * 1024 * 1024 + 54_321
        await options.tamper(raw, meta.sha256, offset)
        const size = chunkSize(meta)
        const { bytes: delivered, error } = await drain(await om.datasets.open('mid'))
        expect(OmegaError.is(error, 'E_INTEGRITY'), String(error)).toBe(true)
        expect((error as OmegaError).message).toContain('"mid"')
        const badStart = Math.floor(offset / size) * size
        expect(delivered.byteLength).toBe(badStart)
        expect(Buffer.compare(Buffer.from(delivered), Buffer.from(bytes.subarray(0, badStart)))).toBe(0)
        await rejectsWith(om.datasets.get('mid'), 'E_INTEGRITY')
      } finally {
        await close()
      }
    })

    it('a reader that takes only the first chunk of a file whose first chunk is tampered gets an error, not bytes', async (ctx) => {
      if (!options.tamper) return ctx.skip()
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const big = await om.datasets.put(bytes, 'first')
        await options.tamper(raw, big.sha256, 10)
        const small = await om.datasets.put(bytes.subarray(0, 300_000), 'small')
        await options.tamper(raw, small.sha256, 299_999)
        for (const name of ['first', 'small']) {
          const iterator = (await om.datasets.open(name))[Symbol.asyncIterator]()
          await rejectsWith(iterator.next(), 'E_INTEGRITY')
        }
      } finally {
        await close()
      }
    })

    it('a large table column is verified per chunk too; a flipped byte is E_INTEGRITY on get and iter', async (ctx) => {
      if (!options.tamper) return ctx.skip()
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const x = Float64Array.from({ length: 400_000 }, (_, i) => i * 0.5)
        const meta = await om.datasets.put(tableFromArrays({ x }), 'wide')
        const part = Object.values(meta.parts).find((p) => p.size > 1024 * 1024)!
        expect(part.chunks).toBeDefined()
        expect(((await om.datasets.get('wide')) as Table).numRows).toBe(400_000)
        await options.tamper(raw, part.sha256, part.size - 100)
        await rejectsWith(om.datasets.get('wide'), 'E_INTEGRITY')
        await rejectsWith((async () => { for await (const _ of om.datasets.iter('wide#iterchunks:chunksize=1000')) void _ })(), 'E_INTEGRITY')
      } finally {
        await close()
      }
    })

    it('objects stored without chunk digests (before they existed) still read, verified at the end', async (ctx) => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const meta = await om.datasets.put(bytes, 'old')
        const key = `${bucket}/data/old`
        const stored = (await raw.meta.get(key))!
        const { chunks: _, ...plain } = (stored.doc.parts as Record<string, Record<string, unknown>>).data!
        await raw.meta.put(key, { ...stored.doc, parts: { data: plain } as never }, { ifRevision: stored.revision })
        const { bytes: back, error } = await drain(await om.datasets.open('old'))
        expect(error).toBeUndefined()
        expect(back.byteLength).toBe(SIZE)
        if (!options.tamper) return ctx.skip()
        await options.tamper(raw, meta.sha256, 1000)
        await rejectsWith(om.datasets.get('old'), 'E_INTEGRITY')
      } finally {
        await close()
      }
    })

    it('a chunk record that does not fit the part (edited document) is E_INTEGRITY, not a crash or a huge buffer', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(bytes, 'edited')
        const key = `${bucket}/data/edited`
        const stored = (await raw.meta.get(key))!
        const part = (stored.doc.parts as Record<string, { chunks: Record<string, unknown> }>).data!
        const bad = [
          { ...part.chunks, size: 1e12 },
          { ...part.chunks, digests: 'AAAA' },
          { ...part.chunks, leaf: -1 },
          { ...part.chunks, digests: 42 },
          { ...part.chunks, size: part.chunks.leaf, leaf: 1 },
        ]
        let revision = stored.revision
        for (const chunks of bad) {
          revision = await raw.meta.put(key, { ...stored.doc, parts: { data: { ...part, chunks } } as never }, { ifRevision: revision })
          await rejectsWith(om.datasets.get('edited'), 'E_INTEGRITY')
        }
      } finally {
        await close()
      }
    })
  })
}
