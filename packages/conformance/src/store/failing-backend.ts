import type { BlobRef, StorageBackend } from '@omega/core'

/**
 * Wraps a backend so that blob write number `failAt` (1-based) fails half-way through its source,
 * as a full disk or a dropped connection would. `failAt: 0` disables the failure.
 */
export function failingBackend(inner: StorageBackend, state: { failAt: number }): StorageBackend {
  let writes = 0
  return {
    scheme: inner.scheme,
    location: inner.location,
    supports: inner.supports,
    meta: inner.meta,
    open: () => inner.open(),
    close: () => inner.close(),
    blobs: {
      async write(source, options): Promise<BlobRef> {
        writes++
        if (state.failAt === 0 || writes !== state.failAt) return await inner.blobs.write(source, options)
        async function* halfThenFail(): AsyncIterable<Uint8Array> {
          if (source instanceof Uint8Array) yield source.subarray(0, source.byteLength >> 1)
          else for await (const chunk of source) yield chunk.subarray(0, chunk.byteLength >> 1)
          throw new Error('injected failure: target storage died mid-copy')
        }
        return await inner.blobs.write(halfThenFail(), options)
      },
      read: (s, o) => inner.blobs.read(s, o),
      has: (s) => inner.blobs.has(s),
      delete: (s) => inner.blobs.delete(s),
      list: (o) => inner.blobs.list(o),
    },
  }
}
