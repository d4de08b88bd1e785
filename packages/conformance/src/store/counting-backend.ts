import type { BlobStore, StorageBackend } from '@omega/core'

/** Wraps a backend and counts the bytes read from (and written to) its blobs: to prove what a call touched. */
export function countingBackend(inner: StorageBackend): StorageBackend & { bytesRead: number; reads: string[]; bytesWritten: number } {
  const counter = {
    bytesRead: 0,
    reads: [] as string[],
    bytesWritten: 0,
  }
  const blobs: BlobStore = {
    write: async (s, o) => {
      const ref = await inner.blobs.write(s, o)
      counter.bytesWritten += ref.size
      return ref
    },
    async *read(sha256, options) {
      counter.reads.push(sha256)
      for await (const chunk of inner.blobs.read(sha256, options)) {
        counter.bytesRead += chunk.byteLength
        yield chunk
      }
    },
    has: (s) => inner.blobs.has(s),
    delete: (s) => inner.blobs.delete(s),
    list: (o) => inner.blobs.list(o),
  }
  return Object.assign(counter, {
    scheme: inner.scheme,
    location: inner.location,
    supports: inner.supports,
    meta: inner.meta,
    blobs,
    open: () => inner.open(),
    close: () => inner.close(),
  })
}
