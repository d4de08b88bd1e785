import { MemoryBackend } from '@omega/core'
import { conformance } from '@omega/conformance'

conformance('memory', {
  factory: () => new MemoryBackend(),
  tamper: async (backend, sha256, offset = 0) => {
    const bytes = (backend as MemoryBackend).data.blobs.get(sha256)!
    bytes[offset] = bytes[offset]! ^ 0xff
  },
})
