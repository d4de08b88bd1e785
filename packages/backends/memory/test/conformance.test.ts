import { conformance } from '@omega/conformance'
import { MemoryBackend } from '@omega/memory'

conformance('memory (package)', {
  factory: () => new MemoryBackend(),
  tamper: async (backend, sha256) => {
    const bytes = (backend as MemoryBackend).data.blobs.get(sha256)!
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01
  },
  corruptDocument: async (backend, key) => {
    const docs = (backend as MemoryBackend).data.docs
    const entry = docs.get(key)!
    docs.set(key, { ...entry, doc: entry.doc.slice(0, entry.doc.length >> 1) })
  },
})
