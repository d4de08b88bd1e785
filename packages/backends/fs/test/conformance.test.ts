import { readFile, writeFile } from 'node:fs/promises'
import { conformance, tempDir } from '@omega/conformance'
import { FsBackend } from '@omega/fs'

const tamper = async (backend: unknown, sha256: string, offset = 0): Promise<void> => {
  const path = (backend as FsBackend).blobPath(sha256)
  const bytes = await readFile(path)
  bytes[offset] = bytes[offset]! ^ 0xff
  await writeFile(path, bytes)
}

conformance('fs', { factory: (dir = tempDir('omega-fs-')) => new FsBackend(dir), tamper })
conformance('fs without fsync', { factory: (dir = tempDir('omega-fs-')) => new FsBackend(dir, { fsync: false }), tamper })
