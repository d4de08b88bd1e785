import { Tensor, type JsonObject, type StorageBackend } from '@omega/core'
import { tableFromArrays, type Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { openStore } from './open-store.js'

/** Rewrites a dataset's document with other kindMeta (and optionally another data part), as a hostile writer of the store could. */
async function rewrite(raw: StorageBackend, key: string, kindMeta: (k: JsonObject) => JsonObject, data?: Uint8Array): Promise<void> {
  const stored = (await raw.meta.get(key))!
  const parts = { ...(stored.doc.parts as JsonObject) }
  if (data) parts.data = { ...(await raw.blobs.write(data)) }
  await raw.meta.put(key, { ...stored.doc, kindMeta: kindMeta(stored.doc.kindMeta as JsonObject), parts }, { ifRevision: stored.revision })
}

/** Stored metadata that does not match the stored bytes is E_INTEGRITY naming the dataset: never an allocation sized by it, never a crash. */
export function hostileDataTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`hostile stored datasets (bucket ${bucket})`, () => {
    it('an ndarray whose stored shape or dtype does not fit its bytes is E_INTEGRITY, not an allocation', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        // Edited under the store: addressed by version, since a single-process store caches its latest version.
        const key = `${bucket}/data/t/@0000000001`
        await om.datasets.put(new Tensor('float64', [1], Float64Array.of(1)), 't')
        const edits: ((k: JsonObject) => JsonObject)[] = [
          (k) => ({ ...k, shape: [1e9, 1e9] }),
          (k) => ({ ...k, shape: [2] }),
          (k) => ({ ...k, shape: [-1] }),
          (k) => ({ ...k, shape: 'x' }),
          (k) => ({ ...k, shape: Array.from({ length: 100_000 }, () => 1) }),
          (k) => ({ ...k, dtype: 'float128' }),
          (k) => ({ ...k, dtype: 'constructor' }),
          (k) => ({ ...k, dtype: 'float32' }),
          (k) => ({ ...k, dtype: 'string', shape: [3] }),
        ]
        for (const edit of edits) {
          await rewrite(raw, key, edit)
          const err = await rejectsWith(om.datasets.get('t@1'), 'E_INTEGRITY')
          expect(err.message).toContain('"t"')
          await rewrite(raw, key, () => ({ dtype: 'float64', shape: [1] }))
        }
        expect(((await om.datasets.get('t@1')) as Tensor).toArray()).toEqual([1])
        await rewrite(raw, key, () => ({ dtype: 'string', shape: [2] }), new TextEncoder().encode('["a", 7]'))
        await rejectsWith(om.datasets.get('t@1'), 'E_INTEGRITY')
        await rewrite(raw, key, () => ({ dtype: 'string', shape: [2] }), new TextEncoder().encode('["a", "b"]'))
        expect(((await om.datasets.get('t@1')) as Tensor).toArray()).toEqual(['a', 'b'])
      } finally {
        await close()
      }
    })

    it('a table whose stored row counts or batch layout do not add up is E_INTEGRITY naming it', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const key = `${bucket}/data/tab/@0000000001`
        await om.datasets.put(tableFromArrays({ a: Float64Array.of(1, 2, 3) }), 'tab')
        const edits: ((k: JsonObject) => JsonObject)[] = [
          (k) => ({ ...k, rows: 1e9, batches: [{ rows: 1e9 }] }),
          (k) => ({ ...k, rows: 1e9 }),
          (k) => ({ ...k, rows: 2, batches: [{ rows: 2 }] }),
          (k) => ({ ...k, rows: 6, batches: [{ rows: 3 }, { rows: 3 }] }),
          (k) => ({ ...k, batches: 'x' }),
          (k) => ({ ...k, batches: [{ rows: -3 }] }),
          (k) => ({ ...k, format: 2, batches: [{ rows: 3, groups: [0, 7] }] }),
          (k) => ({ ...k, format: 2, batches: [{ rows: 3, groups: 'x' }] }),
          (k) => ({ ...k, columns: [{ type: 'Float64' }] }),
          (k) => ({ ...k, columns: null }),
        ]
        for (const edit of edits) {
          await rewrite(raw, key, edit)
          const err = await rejectsWith(om.datasets.get('tab@1'), 'E_INTEGRITY')
          expect(err.message).toContain('"tab"')
          await rejectsWith((async () => { for await (const _ of om.datasets.iter('tab@1#iterchunks:chunksize=2')) void _ })(), 'E_INTEGRITY')
          await rewrite(raw, key, (k) => ({ ...k, rows: 3, batches: [{ rows: 3 }], columns: [{ name: 'a', type: 'Float64', nullable: true }] }))
        }
        expect(((await om.datasets.get('tab@1')) as Table).numRows).toBe(3)
      } finally {
        await close()
      }
    })
  })
}
