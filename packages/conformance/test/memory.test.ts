import { MemoryBackend } from '@omega/core'
import { conformance } from '@omega/conformance'

conformance('memory', {
  factory: () => new MemoryBackend(),
  tamper: async (backend, sha256) => {
    const bytes = (backend as MemoryBackend).data.blobs.get(sha256)!
    bytes[0] = bytes[0]! ^ 0xff
  },
})
