// Table gets on fs read every part into one buffer (BlobStore.readInto) and verify it there: the
// result must be the same table, column pushdown must still read only its parts, and a modified,
// truncated or extended part must be E_INTEGRITY naming the object, with nothing returned.
import { appendFile, readFile, truncate, writeFile } from 'node:fs/promises'
import { Table, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@omega/conformance'
import { Omega, OmegaError, type Metadata } from '@omega/core'
import { FsBackend } from '@omega/fs'

/** 300,000 rows × 3 float64 columns: three batches, parts over 1 MiB (chunk records) and one under. */
function table(): Table {
  const rows = 300_000
  return new Table({
    a: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => i * 0.25)),
    b: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => -i)),
    c: vectorFromArray(Int32Array.from({ length: rows }, (_, i) => i % 97)),
  })
}

async function open(): Promise<{ om: Omega; backend: FsBackend }> {
  const backend = new FsBackend(tempDir('omega-fs-readinto-'), { fsync: false })
  return { om: await Omega.open({ store: backend }), backend }
}

async function rejectsIntegrity(promise: Promise<unknown>): Promise<OmegaError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect(OmegaError.is(err, 'E_INTEGRITY'), String(err)).toBe(true)
  return err as OmegaError
}

/** Byte equality of two typed arrays (vitest's deep equality is slow on 300,000 elements). */
function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0
}

/** The blob file of a table part. */
function partPath(backend: FsBackend, meta: Metadata, part: string): string {
  const ref = meta.parts[part]
  expect(ref, part).toBeDefined()
  return backend.blobPath(ref!.sha256)
}

describe('fs: table reads into one buffer', () => {
  it('reads the same table, with aligned columns, whole and by columns and rows', async () => {
    const { om } = await open()
    try {
      const t = table()
      const meta = await om.datasets.put(t, 't')
      expect(meta.parts['b0.c0']!.chunks, 'a part over 1 MiB records chunk digests').toBeDefined()
      expect(meta.parts['b2.c0-2']!.chunks, 'the last batch is one part under one leaf').toBeUndefined()
      const back = await om.datasets.get<Table>('t')
      expect(back.numRows).toBe(t.numRows)
      for (const name of ['a', 'b', 'c']) expect(same(back.getChild(name)!.toArray(), t.getChild(name)!.toArray()), name).toBe(true)
      const one = await om.datasets.get('t[b]')
      expect(one.schema.fields.map((f) => f.name)).toEqual(['b'])
      expect(same(one.getChild('b')!.toArray(), t.getChild('b')!.toArray())).toBe(true)
      const rows = await om.datasets.get('t#rows:start=140000,end=140010')
      expect(rows.getChild('a')!.toArray()).toEqual(t.getChild('a')!.toArray().subarray(140_000, 140_010))
    } finally {
      await om.close()
    }
  })

  it('column pushdown reads only the parts of the asked column', async () => {
    const { om, backend } = await open()
    try {
      const meta = await om.datasets.put(table(), 't')
      // Damage every part of column a: reading b alone must not touch them.
      for (const part of Object.keys(meta.parts).filter((p) => /^b[01]\.c0$/.test(p))) await writeFile(partPath(backend, meta, part), 'gone')
      expect((await om.datasets.get('t[b]#rows:start=0,end=262144')).numRows).toBe(262_144)
      await rejectsIntegrity(om.datasets.get('t'))
    } finally {
      await om.close()
    }
  })

  it('a flipped byte in a chunk-recorded part, in a whole-verified part, a truncated and an extended part are E_INTEGRITY naming the object', async () => {
    const { om, backend } = await open()
    try {
      const meta = await om.datasets.put(table(), 't')
      const flip = async (part: string, offset: number): Promise<() => Promise<void>> => {
        const path = partPath(backend, meta, part)
        const original = await readFile(path)
        const bad = Buffer.from(original)
        bad[offset] = bad[offset]! ^ 0x01
        await writeFile(path, bad)
        return () => writeFile(path, original)
      }
      let restore = await flip('b1.c1', 1024 * 1024 + 3)
      let err = await rejectsIntegrity(om.datasets.get('t'))
      expect(err.message).toContain('"t"')
      expect(err.details).toMatchObject({ name: 't', part: 'b1.c1', chunk: 1 })
      await restore()
      restore = await flip('b2.c0-2', 1000)
      err = await rejectsIntegrity(om.datasets.get('t'))
      expect(err.message).toContain('sha256')
      await restore()
      const path = partPath(backend, meta, 'b0.c0')
      const original = await readFile(path)
      await truncate(path, original.byteLength - 1)
      err = await rejectsIntegrity(om.datasets.get('t'))
      expect(err.message).toContain('truncated')
      await writeFile(path, original)
      await appendFile(path, Uint8Array.of(0))
      err = await rejectsIntegrity(om.datasets.get('t'))
      expect(err.message).toContain('longer')
      await writeFile(path, original)
      expect((await om.datasets.get<Table>('t')).numRows).toBe(300_000)
    } finally {
      await om.close()
    }
  })

  it('a part whose blob is gone is E_INTEGRITY naming the object', async () => {
    const { om, backend } = await open()
    try {
      const meta = await om.datasets.put(table(), 't')
      const { rm } = await import('node:fs/promises')
      await rm(partPath(backend, meta, 'b1.c2'))
      const err = await rejectsIntegrity(om.datasets.get('t'))
      expect(err.message).toContain('missing')
    } finally {
      await om.close()
    }
  })
})
