import { posix } from 'node:path'
import { unzipSync, zipSync, type Zippable } from 'fflate'
import { OmegaError } from '../errors.js'
import type { JsonObject } from '../json.js'
import { sha256Hex } from '../backend/hashing.js'
import type { Artifacts, Handler, StoredArtifacts } from '../handler/handler.js'
import { ScriptPackage } from './script-package.js'

/** The kind of scripts in `om.scripts`. */
export const SCRIPT_KIND = 'script.module'

/** The manifest a script's metadata carries as `kindMeta`. */
export interface ScriptManifest {
  /** The module exporting `run`. */
  readonly entry: string
  readonly format: 'zip'
  readonly files: readonly { readonly path: string; readonly size: number; readonly sha256: string }[]
}

// A fixed timestamp makes the archive a function of the files alone: the same script gives the
// same bytes, hence the same sha256, hence one extraction directory (script-cache.ts).
const EPOCH = new Date('2000-01-01T00:00:00Z')

/**
 * Kind `script.module`: a {@link ScriptPackage} stored as one zip part (fflate) plus a manifest of
 * its files. Stored scripts are data: nothing is executed at put or get.
 */
export class ScriptHandler implements Handler<ScriptPackage> {
  readonly kind = SCRIPT_KIND
  readonly stores = ['scripts'] as const

  supports(value: unknown): value is ScriptPackage {
    return value instanceof ScriptPackage
  }

  async serialize(value: ScriptPackage): Promise<Artifacts> {
    const paths = [...value.files.keys()].sort()
    const zippable: Zippable = {}
    for (const path of paths) zippable[path] = [value.files.get(path)!, { mtime: EPOCH }]
    const files = paths.map((path) => ({ path, size: value.files.get(path)!.byteLength, sha256: sha256Hex(value.files.get(path)!) }))
    const kindMeta: ScriptManifest = { entry: value.entry, format: 'zip', files }
    return { kindMeta: kindMeta as unknown as JsonObject, parts: { archive: zipSync(zippable, { level: 6 }) } }
  }

  async deserialize(stored: StoredArtifacts): Promise<ScriptPackage> {
    const manifest = stored.kindMeta as unknown as ScriptManifest
    return new ScriptPackage(manifest.entry, unpack(await stored.bytes('archive'), manifest))
  }
}

/**
 * The files of a stored archive, checked against the manifest. Stored data is untrusted: a path
 * that would leave the extraction directory, a file the manifest does not list, or bytes whose
 * sha256 differs is E_INTEGRITY.
 */
export function unpack(archive: Uint8Array, manifest: ScriptManifest): Map<string, Uint8Array> {
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(archive)
  } catch (err) {
    throw new OmegaError('E_INTEGRITY', `the stored script archive cannot be read: ${(err as Error).message}`, { cause: err })
  }
  const files = new Map<string, Uint8Array>()
  for (const { path, sha256 } of manifest.files) {
    const bytes = entries[path]
    const safe = posix.normalize(path) === path && !path.startsWith('/') && !path.startsWith('../') && path !== '..' && !path.includes('\\')
    if (!safe || !bytes || sha256Hex(bytes) !== sha256) {
      throw new OmegaError('E_INTEGRITY', `the stored script file "${path}" is missing, altered or outside the script's directory`, { details: { path } })
    }
    files.set(path, bytes)
  }
  if (!files.has(manifest.entry)) throw new OmegaError('E_INTEGRITY', `the stored script has no entry module "${manifest.entry}"`, { details: { entry: manifest.entry } })
  return files
}
