import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { create, extract } from 'tar'
import { OmegaError, errors } from '../errors.js'
import { MANIFEST_FILE } from './archive-manifest.js'

/** True for a path that names a gzipped tar file (`.tar.gz`, `.tgz`) rather than a directory. */
export function isTarGz(path: string): boolean {
  return /\.(tar\.gz|tgz)$/i.test(path)
}

/** Packs an archive directory into `file` (gzip; portable headers carry no user or group of this host). */
export async function packDir(dir: string, file: string): Promise<void> {
  await create({ gzip: true, file, cwd: dir, portable: true }, [MANIFEST_FILE, 'blobs'])
}

/**
 * Unpacks a `.tar.gz` archive into a new temporary directory and returns it. Only regular files
 * and directories are extracted (no links, no device files), and tar itself refuses absolute
 * paths and `..`, so a hostile archive cannot write outside that directory.
 *
 * @throws {OmegaError} E_NOT_FOUND for a missing file; E_INTEGRITY for a file that is not a readable tar.gz
 */
export async function unpackToTemp(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined)
  if (!info) throw errors.notFound('archive', file, undefined, 'give the path of a directory or .tar.gz written by om.export / omega export')
  const dir = await mkdtemp(join(tmpdir(), 'omega-import-'))
  try {
    await extract({ file, cwd: dir, strict: true, filter: (_path, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory') })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw new OmegaError('E_INTEGRITY', `archive "${file}" is damaged: it is not a readable .tar.gz (${(err as Error).message}); nothing was imported`, {
      details: { path: file },
      cause: err,
    })
  }
  return dir
}
