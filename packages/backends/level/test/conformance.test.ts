import { randomUUID } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { conformance, tempDir, type BackendSuiteOptions } from '@omega/conformance'
import { LevelBackend } from '@omega/level'

const hooks: Omit<BackendSuiteOptions, 'factory'> = {
  tamper: async (backend, sha256, offset = 0) => {
    // A large blob is a file beside the database.
    const file = (backend as LevelBackend).blobPath(sha256)
    if (file !== undefined) {
      const bytes = await readFile(file)
      bytes[offset] = bytes[offset]! ^ 0xff
      await writeFile(file, bytes)
      return
    }
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
  // Invalid JSON under one key, written through the backend's database.
  corruptDocument: async (backend, key) => {
    await (backend as LevelBackend).db.put(`m!${key}`, '{"r":"1","d":{"name":', { valueEncoding: 'utf8' })
  },
  // Chunks of a write whose header never came (the writer was killed).
  leaveTemp: async (backend, modifiedAt) => {
    const id = `${modifiedAt.toString(36)}.${randomUUID()}`
    const db = (backend as LevelBackend).db
    await db.batch([0, 1].map((i) => ({ type: 'put' as const, key: `c!${id}!${String(i).padStart(10, '0')}`, value: new Uint8Array(500), valueEncoding: 'view' })))
  },
}

conformance('level', { factory: (dir = tempDir('omega-level-')) => new LevelBackend(dir), ...hooks })
