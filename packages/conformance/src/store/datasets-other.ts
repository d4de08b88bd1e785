import { createReadStream, writeFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { Table, tableFromArrays } from 'apache-arrow'
import { Tensor, collectBytes, encodeColumn, type TensorDtype } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith, tempDir, type BackendSuiteOptions } from '../context.js'
import { fixturePath } from '../fixtures.js'
import { openStore, snapshot } from './open-store.js'

const DTYPES: [TensorDtype, unknown[]][] = [
  ['float32', [1.5, -2, 3.25, 0, 1e-3, 7]], ['float64', [Math.PI, -0, 1e300, NaN, -Infinity, 2]],
  ['int8', [-128, 127, 0, 1, 2, 3]], ['uint8', [0, 255, 1, 2, 3, 4]], ['int16', [-32768, 32767, 0, 1, 2, 3]],
  ['uint16', [65535, 0, 1, 2, 3, 4]], ['int32', [-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3]], ['uint32', [2 ** 32 - 1, 0, 1, 2, 3, 4]],
  ['int64', [-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n, 2n, 3n]], ['uint64', [2n ** 64n - 1n, 0n, 1n, 2n, 3n, 4n]],
  ['bool', [1, 0, 1, 1, 0, 0]], ['string', ['a', 'bé', '', 'd', 'e', 'f']],
]

/** Tensors, files, JSON, CSV import/export, damaged IPC and dataset promotion on the backend. */
export function otherDatasetTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`dataset kinds and CSV (bucket ${bucket})`, () => {
    it.each(DTYPES)('a %s tensor of rank 3 round-trips exactly', async (dtype, values) => {
      const { om, close } = await openStore(options, bucket)
      try {
        const Ctor = { float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array, string: Array }[dtype] as unknown as { from(v: unknown[]): never }
        const tensor = new Tensor(dtype, [1, 2, 3], Ctor.from(values))
        const meta = await om.datasets.put(tensor, `t-${dtype}`)
        expect(meta).toMatchObject({ kind: 'ndarray', kindMeta: { dtype, shape: [1, 2, 3] } })
        const back = (await om.datasets.get(`t-${dtype}`)) as Tensor
        expect(back).toBeInstanceOf(Tensor)
        expect(back.dtype).toBe(dtype)
        expect(back.shape).toEqual([1, 2, 3])
        expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(tensor.data as ArrayLike<unknown>))
        expect(back.data.constructor).toBe(tensor.data.constructor)
      } finally {
        await close()
      }
    })

    it('a tensor-like object is stored; data.length ≠ product(shape) is E_DATA_SHAPE and nothing is written', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put({ dtype: 'float64', shape: [2, 2], data: [1, 2, 3, 4] }, 'plain')
        expect(((await om.datasets.get('plain')) as Tensor).toArray()).toEqual([[1, 2], [3, 4]])
        const before = await snapshot(raw)
        const err = await rejectsWith(om.datasets.put({ dtype: 'float32', shape: [2, 3], data: new Float32Array(5) }, 'bad'), 'E_DATA_SHAPE')
        expect(err.message).toMatch(/5 elements but shape \[2, 3\] needs 6/)
        expect(await snapshot(raw)).toEqual(before)
        await rejectsWith(om.datasets.get('plain[a]'), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('files from bytes, Buffer, stream and path; get returns bytes, open() streams', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const bytes = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 31) % 256)
        const path = join(tempDir('omega-file-'), 'blob.bin')
        writeFileSync(path, bytes)
        await om.datasets.put(bytes, 'f-bytes')
        await om.datasets.put(Buffer.from('hello'), 'f-buffer')
        await om.datasets.put(createReadStream(path), 'f-stream')
        const meta = await om.datasets.put({ path }, 'f-path')
        expect(meta).toMatchObject({ kind: 'file', kindMeta: { filename: 'blob.bin' }, size: bytes.byteLength })
        expect(Buffer.compare(Buffer.from((await om.datasets.get('f-path')) as Uint8Array), Buffer.from(bytes))).toBe(0)
        expect(Buffer.compare(Buffer.from((await om.datasets.get('f-stream')) as Uint8Array), Buffer.from(bytes))).toBe(0)
        const buf = await om.datasets.get('f-buffer')
        expect(Buffer.isBuffer(buf)).toBe(true)
        expect(String(buf)).toBe('hello')
        const got = await om.datasets.get('f-bytes')
        expect(got).toBeInstanceOf(Uint8Array)
        const streamed = await collectBytes((await om.datasets.open('f-path')) as AsyncIterable<Uint8Array>)
        expect(streamed.byteLength).toBe(bytes.byteLength)
        await rejectsWith(om.datasets.open('nope'), 'E_NOT_FOUND')
        await om.datasets.put({ a: 1 }, 'j')
        await rejectsWith(om.datasets.open('j'), 'E_INVALID_ARGUMENT')
      } finally {
        await close()
      }
    })

    it('any JSON value with kind json', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        for (const [i, v] of ([[{ a: 1 }], 42, 'text', null, [1, 'two', null], { nested: { deep: [true] } }] as unknown[]).entries()) {
          await om.datasets.put(v, `json-${i}`, { kind: 'json' })
          expect(await om.datasets.get(`json-${i}`)).toEqual(v)
          expect((await om.datasets.metadata(`json-${i}`))!.kind).toBe('json')
        }
      } finally {
        await close()
      }
    })

    it('a truncated IPC part is E_INTEGRITY', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await om.datasets.put(tableFromArrays({ a: Float64Array.of(1, 2, 3) }), 'trunc')
        const doc = (await raw.meta.get(`${bucket}/data/trunc/@0000000001`))!
        const good = encodeColumn(tableFromArrays({ a: Float64Array.of(1, 2, 3) }).batches[0]!, 0)
        const cut = await raw.blobs.write(good.subarray(0, good.byteLength - 40))
        const parts = { ...(doc.doc.parts as Record<string, unknown>), 'b0.c0': cut }
        await raw.meta.put(doc.key, { ...doc.doc, parts: parts as never }, { ifRevision: doc.revision })
        await rejectsWith(om.datasets.get('trunc'), 'E_INTEGRITY')
      } finally {
        await close()
      }
    })

    it('readCsv streams a CSV into batches with progress; writeCsv exports it back', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const progress: number[] = []
        const meta = await om.datasets.readCsv(fixturePath('datasets/iris.csv'), 'iris', { chunkSize: 40, onProgress: (p) => progress.push(p.rows) })
        expect(meta.kindMeta.rows).toBe(150)
        expect((meta.kindMeta.batches as unknown[]).length).toBe(4)
        expect(progress).toEqual([40, 80, 120, 150])
        const iris = (await om.datasets.get('iris')) as Table
        expect(iris.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual([
          'sepal_length:Float64', 'sepal_width:Float64', 'petal_length:Float64', 'petal_width:Float64', 'target:Float64',
        ])
        expect(iris.toArray()[0]!.toJSON()).toEqual({ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2, target: 0 })
        const typed = await om.datasets.readCsv(Readable.from([readFileSync(fixturePath('datasets/iris.csv'))]), 'iris2', { types: { target: 'int32' }, columns: ['petal_width', 'target'] })
        expect(typed.kindMeta.columns).toEqual([{ name: 'petal_width', type: 'Float64', nullable: true }, { name: 'target', type: 'Int32', nullable: true }])
        const out = join(tempDir('omega-csv-'), 'out.csv')
        const written = await om.datasets.writeCsv('iris[^target]', out, { filter: { petal_width: { gt: 2.3 } } })
        const text = readFileSync(out, 'utf8').trim().split('\n')
        expect(text[0]).toBe('sepal_length,sepal_width,petal_length,petal_width')
        expect(text).toHaveLength(1 + written.rows)
        expect(written.rows).toBe(6)
        await om.datasets.readCsv(fixturePath('datasets/iris.csv'), 'iris', { append: true, chunkSize: 100 })
        expect(((await om.datasets.get('iris')) as Table).numRows).toBe(300)
      } finally {
        await close()
      }
    })

    it('a malformed CSV row fails with its line number and nothing is half-stored', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const lines = ['a,b', ...Array.from({ length: 30 }, (_, i) => `${i},${i * 2}`), '31,62,extra', '32,64']
        const before = await snapshot(raw)
        const err = await rejectsWith(om.datasets.readCsv(Readable.from([lines.join('\n')]), 'broken', { chunkSize: 10 }), 'E_INVALID_ARGUMENT')
        expect(err.message).toMatch(/line 32/)
        expect(await om.datasets.exists('broken')).toBe(false)
        expect(await snapshot(raw)).toEqual(before)
        const typed = ['a', ...Array.from({ length: 12 }, (_, i) => `${i}`), 'oops'].join('\n')
        const e2 = await rejectsWith(om.datasets.readCsv(Readable.from([typed]), 'broken', { chunkSize: 5 }), 'E_INVALID_ARGUMENT')
        expect(e2.message).toMatch(/line 14, column "a": "oops" is not a float64/)
        expect(await snapshot(raw)).toEqual(before)
        const nowhere = join(tempDir('omega-csv-'), 'no-such.csv')
        const missing = await rejectsWith(om.datasets.readCsv(nowhere, 'nocsv'), 'E_NOT_FOUND')
        expect(missing.message).toContain(`"${nowhere}" not found`)
        expect(await snapshot(raw)).toEqual(before)
      } finally {
        await close()
      }
    })

    it('promoting a dataset copies it; a later append to the source does not change the target', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const prod = om.bucket('prod')
        await om.datasets.put(tableFromArrays({ x: Int32Array.of(1, 2) }), 'src')
        const meta = await om.datasets.promote('src', prod.datasets)
        expect(meta.attributes.promotedFrom).toMatchObject({ bucket, name: 'src' })
        await om.datasets.put(tableFromArrays({ x: Int32Array.of(3) }), 'src', { append: true })
        expect(((await prod.datasets.get('src')) as Table).numRows).toBe(2)
        expect(((await om.datasets.get('src')) as Table).numRows).toBe(3)
        expect(new Table(((await prod.datasets.get('src')) as Table).batches).getChild('x')!.toArray()).toEqual(Int32Array.of(1, 2))
      } finally {
        await close()
      }
    })
  })
}
