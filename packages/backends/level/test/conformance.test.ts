import { conformance, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'

conformance('level', {
  factory: (dir = tempDir('omega-level-')) => new LevelBackend(dir),
  tamper: async (backend, sha256, offset = 0) => {
    const db = (backend as LevelBackend).db
    const header = (await db.get(`b!${sha256}`)) as { id: string }
    // Walk the chunks to the one that holds `offset`.
    for (let i = 0, start = 0; ; i++) {
      const key = `c!${header.id}!${String(i).padStart(10, '0')}`
      const chunk = Buffer.from((await db.get(key, { valueEncoding: 'view' })) as Uint8Array)
      if (offset < start + chunk.byteLength) {
        chunk[offset - start] = chunk[offset - start]! ^ 0xff
        await db.put(key, chunk, { valueEncoding: 'view' })
        return
      }
      start += chunk.byteLength
    }
  },
})
