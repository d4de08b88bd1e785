import { createHash } from 'node:crypto'
import { OmegaError, collectBytes } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { LEAF_SIZE, LeafHasher, MAX_CHUNK_SIZE, chunkSizeFor, verifyChunks, xxh64Checksum, type ChunkDigests } from '../dist/backend/chunk-digests.js'

const MiB = 1024 * 1024
const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest()

function noise(length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = 7
  for (let i = 0; i < length; i++) out[i] = (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24
  return out
}

async function* pieces(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += size) yield bytes.subarray(i, i + size)
}

/** A record with small leaves, so that chunks group several leaves (as blobs over 256 MiB do). */
function smallLeafRecord(bytes: Uint8Array, leaf: number): ChunkDigests {
  const size = chunkSizeFor(bytes.byteLength, leaf)
  const digests: Buffer[] = []
  for (let c = 0; c < bytes.byteLength; c += size) {
    const leaves: Buffer[] = []
    for (let l = c; l < Math.min(c + size, bytes.byteLength); l += leaf) leaves.push(sha(bytes.subarray(l, Math.min(l + leaf, c + size, bytes.byteLength))))
    digests.push(size === leaf ? leaves[0]! : sha(Buffer.concat(leaves)))
  }
  return { size, leaf, digests: Buffer.concat(digests).toString('base64') }
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<{ delivered: number; error?: unknown }> {
  let delivered = 0
  try {
    for await (const piece of source) delivered += piece.byteLength
  } catch (error) {
    return { delivered, error }
  }
  return { delivered }
}

describe('chunk digests', () => {
  it('chunk size: 1 MiB up to 256 MiB, then at most 256 chunks, never over 64 MiB', () => {
    expect(chunkSizeFor(100e6)).toBe(MiB)
    expect(chunkSizeFor(256 * MiB)).toBe(MiB)
    expect(chunkSizeFor(1024 * MiB)).toBe(4 * MiB)
    expect(chunkSizeFor(16 * 1024 * MiB)).toBe(64 * MiB)
    expect(chunkSizeFor(1e13)).toBe(MAX_CHUNK_SIZE)
  })

  it('what LeafHasher records, verifyChunks accepts, whatever the piece sizes on either side', async () => {
    const bytes = noise(2 * LEAF_SIZE + 12_345)
    for (const writePiece of [1000, 65_536, LEAF_SIZE, bytes.byteLength]) {
      const hasher = new LeafHasher()
      for await (const p of pieces(bytes, writePiece)) hasher.update(p)
      const record = hasher.result()!
      expect(record).toMatchObject({ size: LEAF_SIZE, leaf: LEAF_SIZE })
      for (const readPiece of [4096, 3 * LEAF_SIZE]) {
        const back = await collectBytes(verifyChunks('ab', bytes.byteLength, record, pieces(bytes, readPiece), undefined))
        expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0)
      }
    }
    expect(new LeafHasher().result()).toBeUndefined()
  })

  it('chunks of several leaves: a flipped byte stops delivery at its chunk start; a short or long blob is E_INTEGRITY', async () => {
    const bytes = noise(600 * 1024 + 77)
    const record = smallLeafRecord(bytes, 1024)
    expect(record.size).toBe(3 * 1024)
    expect((await drain(verifyChunks('ab', bytes.byteLength, record, pieces(bytes, 333), undefined))).delivered).toBe(bytes.byteLength)
    const bad = Uint8Array.from(bytes)
    bad[100_000] = bad[100_000]! ^ 1
    const { delivered, error } = await drain(verifyChunks('ab', bytes.byteLength, record, pieces(bad, 5000), undefined))
    expect(OmegaError.is(error, 'E_INTEGRITY')).toBe(true)
    expect(delivered).toBe(Math.floor(100_000 / record.size) * record.size)
    const short = await drain(verifyChunks('ab', bytes.byteLength, record, pieces(bytes.subarray(0, bytes.byteLength - 1), 5000), undefined))
    expect(OmegaError.is(short.error, 'E_INTEGRITY')).toBe(true)
    expect(short.delivered).toBe(Math.floor((bytes.byteLength - 1) / record.size) * record.size)
    const long = Buffer.concat([bytes, Uint8Array.of(1)])
    expect(OmegaError.is((await drain(verifyChunks('ab', bytes.byteLength, record, pieces(long, 5000), undefined))).error, 'E_INTEGRITY')).toBe(true)
  })

  it('xxh64 records (what core writes): 8 bytes a chunk, accepted whole and in pieces; a flipped byte is E_INTEGRITY before its chunk', async () => {
    const bytes = noise(3 * LEAF_SIZE + 4321)
    const hasher = new LeafHasher(await xxh64Checksum())
    for await (const p of pieces(bytes, 70_000)) hasher.update(p)
    const record = hasher.result()!
    expect(record).toMatchObject({ size: LEAF_SIZE, leaf: LEAF_SIZE, algorithm: 'xxh64' })
    expect(Buffer.from(record.digests, 'base64').byteLength).toBe(8 * 4)
    const back = await collectBytes(verifyChunks('ab', bytes.byteLength, record, pieces(bytes, 3 * LEAF_SIZE), undefined))
    expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0)
    const bad = Uint8Array.from(bytes)
    bad[2 * LEAF_SIZE + 5] = bad[2 * LEAF_SIZE + 5]! ^ 0x80
    const { delivered, error } = await drain(verifyChunks('ab', bytes.byteLength, record, pieces(bad, 4096), undefined))
    expect(OmegaError.is(error, 'E_INTEGRITY')).toBe(true)
    expect(delivered).toBe(2 * LEAF_SIZE)
  })

  it('records written with sha256 (before xxh64) still verify; an unknown algorithm is E_INTEGRITY', async () => {
    const bytes = noise(2 * LEAF_SIZE + 1)
    const hasher = new LeafHasher()
    hasher.update(bytes)
    const record = hasher.result()!
    expect(record.algorithm).toBeUndefined()
    expect((await drain(verifyChunks('ab', bytes.byteLength, record, pieces(bytes, 65_536), undefined))).delivered).toBe(bytes.byteLength)
    const odd = { ...record, algorithm: 'md5' } as unknown as ChunkDigests
    const { delivered, error } = await drain(verifyChunks('ab', bytes.byteLength, odd, pieces(bytes, 65_536), undefined))
    expect(OmegaError.is(error, 'E_INTEGRITY')).toBe(true)
    expect(delivered).toBe(0)
  })
})
