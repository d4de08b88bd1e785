import { conformance } from '@omega/conformance'
import { MemoryBackend } from '@omega/memory'

conformance('memory (package)', {
  factory: () => new MemoryBackend(),
  tamper: async (backend, sha256, offset) => {
    const bytes = (backend as MemoryBackend).data.blobs.get(sha256)!
    const at = offset ?? bytes.length - 1
    bytes[at] = bytes[at]! ^ 0x01
  },
  corruptDocument: async (backend, key) => {
    const docs = (backend as MemoryBackend).data.docs
    const entry = docs.get(key)!
    docs.set(key, { ...entry, doc: entry.doc.slice(0, entry.doc.length >> 1) })
  },
})
