import { mkdir, readFile, truncate, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { conformance, tempDir, type BackendSuiteOptions } from '@omega/conformance'
import { FsBackend } from '@omega/fs'

const tamper = async (backend: unknown, sha256: string, offset = 0): Promise<void> => {
  const path = (backend as FsBackend).blobPath(sha256)
  const bytes = await readFile(path)
  bytes[offset] = bytes[offset]! ^ 0xff
  await writeFile(path, bytes)
}

/** A torn document file: the first half of its bytes. */
const corruptDocument = async (backend: unknown, key: string): Promise<void> => {
  const path = (backend as FsBackend).docPath(key)
  await truncate(path, Math.floor((await readFile(path)).byteLength / 2))
}

/** What a killed writer leaves in tmp/. */
const leaveTemp = async (backend: unknown, modifiedAt: number): Promise<void> => {
  const dir = join((backend as FsBackend).location, 'tmp')
  await mkdir(dir, { recursive: true })
  const path = join(dir, `killed-${Math.random().toString(36).slice(2)}`)
  await writeFile(path, new Uint8Array(1000))
  await utimes(path, modifiedAt / 1000, modifiedAt / 1000)
}

const hooks: Omit<BackendSuiteOptions, 'factory'> = { tamper, corruptDocument, leaveTemp }
conformance('fs', { factory: (dir = tempDir('omega-fs-')) => new FsBackend(dir), ...hooks })
conformance('fs without fsync', { factory: (dir = tempDir('omega-fs-')) => new FsBackend(dir, { fsync: false }), ...hooks })
