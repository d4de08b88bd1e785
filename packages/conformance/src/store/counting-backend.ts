import type { BlobStore, StorageBackend } from '@omega/core'

/** Wraps a backend and counts the bytes read from its blobs: to prove what a read touched. */
export function countingBackend(inner: StorageBackend): StorageBackend & { bytesRead: number; reads: string[] } {
  const counter = {
    bytesRead: 0,
    reads: [] as string[],
  }
  const blobs: BlobStore = {
    write: (s, o) => inner.blobs.write(s, o),
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
