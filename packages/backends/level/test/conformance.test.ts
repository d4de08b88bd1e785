import { conformance, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'

conformance('level', {
  factory: (dir = tempDir('omega-level-')) => new LevelBackend(dir),
  tamper: async (backend, sha256) => {
    const db = (backend as LevelBackend).db
    const header = (await db.get(`b!${sha256}`)) as { id: string }
    const key = `c!${header.id}!${'0'.padStart(10, '0')}`
    const chunk = Buffer.from((await db.get(key, { valueEncoding: 'view' })) as Uint8Array)
    chunk[0] = chunk[0]! ^ 0xff
    await db.put(key, chunk, { valueEncoding: 'view' })
  },
})
