import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { OmegaError, errors } from '../errors.js'
import { isPlainObject, type JsonObject } from '../json.js'
import { HashingReader, isSha256 } from '../backend/hashing.js'
import { describeParts } from '../store/commit.js'
import { validateName } from '../names/validate-name.js'

/** The `format` field of every omega archive manifest. */
export const ARCHIVE_FORMAT = 'omega-archive'
/** The manifest layout this release writes and reads. */
export const ARCHIVE_FORMAT_VERSION = 1
export const MANIFEST_FILE = 'manifest.json'

/** One part of an archived version: the blob that holds its bytes. */
export interface ArchivedPart {
  readonly sha256: string
  readonly size: number
}

/**
 * One archived version (or the one state of an unversioned object): its metadata as the public
 * API shows it (`store.version(name@v)`), with every part the handler reads listed in full —
 * never a store-internal delta — so an archive does not depend on how a store lays out versions.
 */
export interface ArchivedVersion {
  /** Absent for unversioned stores (scripts, jobs). */
  readonly version?: number
  readonly parent?: number | null
  readonly kind: string
  readonly kindMeta: JsonObject
  readonly attributes: JsonObject
  readonly createdAt: string
  readonly modifiedAt: string
  readonly size: number
  readonly sha256: string
  readonly parts: Readonly<Record<string, ArchivedPart>>
}

/** One archived object: a name in one store prefix, its versions oldest first and its tags. */
export interface ArchivedObject {
  /** `models/`, `data/`, `scripts/` or `jobs/`. */
  readonly prefix: string
  readonly name: string
  readonly versioned: boolean
  /** tag → version number (versioned stores). */
  readonly tags: Readonly<Record<string, number>>
  readonly versions: readonly ArchivedVersion[]
}

/** `manifest.json`: what an archive holds and the sha256 and size of every blob. */
export interface ArchiveManifest {
  readonly format: typeof ARCHIVE_FORMAT
  readonly formatVersion: number
  readonly createdAt: string
  /** Where the objects came from (for `promotedFrom` on import). */
  readonly source: { readonly store: string; readonly bucket: string }
  readonly versions: 'all' | 'latest'
  readonly objects: readonly ArchivedObject[]
  readonly blobs: readonly ArchivedPart[]
}

/** Path of a blob inside an archive directory. */
export function blobPath(dir: string, sha256: string): string {
  return join(dir, 'blobs', sha256.slice(0, 2), sha256)
}

/**
 * Reads and checks `manifest.json`: its shape, names, and that every version's parts add up to its
 * sha256 and size and are listed among the blobs.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT if `dir` holds no manifest; E_INTEGRITY if it is damaged
 */
export async function readManifest(dir: string, label: string): Promise<ArchiveManifest> {
  let text: string
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8')
  } catch (err) {
    throw new OmegaError('E_INVALID_ARGUMENT', `"${label}" is not an omega archive (no ${MANIFEST_FILE}); nothing was imported`, { details: { path: label }, cause: err })
  }
  let manifest: unknown
  try {
    manifest = JSON.parse(text)
  } catch (err) {
    throw damaged(label, `${MANIFEST_FILE} is not valid JSON`, err)
  }
  checkManifest(manifest, label)
  return manifest
}

function checkManifest(m: unknown, label: string): asserts m is ArchiveManifest {
  const fail = (what: string): never => {
    throw damaged(label, what)
  }
  if (!isPlainObject(m) || m.format !== ARCHIVE_FORMAT) fail(`${MANIFEST_FILE} is not an omega archive manifest`)
  const manifest = m as unknown as ArchiveManifest
  if (manifest.formatVersion !== ARCHIVE_FORMAT_VERSION) {
    throw errors.unsupported(`archive format version ${String(manifest.formatVersion)} of "${label}" is not supported (this release reads ${ARCHIVE_FORMAT_VERSION}); upgrade omega`)
  }
  if (!Array.isArray(manifest.blobs) || !Array.isArray(manifest.objects) || !isPlainObject(manifest.source)) fail('the manifest lacks objects, blobs or source')
  const blobs = new Map<string, number>()
  for (const b of manifest.blobs) {
    if (!isPlainObject(b) || typeof b.sha256 !== 'string' || !isSha256(b.sha256) || !isSize(b.size)) fail(`a blob entry is malformed: ${JSON.stringify(b)}`)
    blobs.set(b.sha256, b.size)
  }
  const seen = new Set<string>()
  for (const o of manifest.objects) {
    if (!isPlainObject(o) || typeof o.prefix !== 'string' || typeof o.name !== 'string' || !Array.isArray(o.versions) || o.versions.length === 0 || !isPlainObject(o.tags)) {
      fail(`an object entry is malformed: ${JSON.stringify(o).slice(0, 200)}`)
    }
    validateName(o.name)
    const id = `${o.prefix}${o.name}`
    if (seen.has(id)) fail(`"${id}" is listed twice`)
    seen.add(id)
    let last = 0
    for (const v of o.versions) {
      if (!isPlainObject(v) || typeof v.kind !== 'string' || !isPlainObject(v.kindMeta) || !isPlainObject(v.attributes) || !isPlainObject(v.parts) || typeof v.sha256 !== 'string') {
        fail(`a version of "${id}" is malformed`)
      }
      if (o.versioned) {
        if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version <= last) fail(`the versions of "${id}" are not increasing integers`)
        last = v.version!
      }
      for (const [part, ref] of Object.entries(v.parts)) {
        if (!isPlainObject(ref) || blobs.get(ref.sha256) !== ref.size) fail(`part "${part}" of "${id}" refers to a blob the manifest does not list`)
      }
      const whole = describeParts(v.parts)
      if (whole.sha256 !== v.sha256 || whole.size !== v.size) fail(`the parts of "${id}"${o.versioned ? `@${v.version}` : ''} do not add up to its sha256 and size`)
    }
    for (const [tag, version] of Object.entries(o.tags)) {
      if (!o.versions.some((v) => v.version === version)) fail(`tag "${tag}" of "${id}" points at a version the archive does not hold`)
    }
  }
}

/**
 * Hashes every blob file the manifest lists and compares sha256 and size, before anything is
 * published.
 *
 * @throws {OmegaError} E_INTEGRITY naming every missing or altered blob
 */
export async function verifyBlobs(dir: string, manifest: ArchiveManifest, label: string, onBlob?: (bytes: number) => void, signal?: AbortSignal): Promise<void> {
  const bad: string[] = []
  for (const blob of manifest.blobs) {
    const found = await hashFile(blobPath(dir, blob.sha256), signal).catch((err: unknown) => {
      if (OmegaError.is(err)) throw err
      return undefined
    })
    if (!found) bad.push(`${blob.sha256} is missing`)
    else if (found.sha256 !== blob.sha256 || found.size !== blob.size) bad.push(`${blob.sha256} has sha256 ${found.sha256} and ${found.size} bytes (expected ${blob.size})`)
    onBlob?.(blob.size)
  }
  if (bad.length > 0) {
    const shown = bad.slice(0, 5).join('; ') + (bad.length > 5 ? `; and ${bad.length - 5} more` : '')
    throw new OmegaError('E_INTEGRITY', `archive "${label}" fails its manifest: ${bad.length} blob(s) damaged (${shown}); nothing was imported`, {
      details: { path: label, damaged: bad.length },
    })
  }
}

async function hashFile(path: string, signal: AbortSignal | undefined): Promise<{ sha256: string; size: number }> {
  const reader = new HashingReader()
  for await (const _ of reader.pipe(createReadStream(path) as AsyncIterable<Uint8Array>, signal));
  return { sha256: reader.digest(), size: reader.size }
}

/** The bytes of an archive blob, checked again as they stream (the files may change after verification). */
export async function* verifiedBlob(dir: string, blob: ArchivedPart, label: string): AsyncIterable<Uint8Array> {
  const reader = new HashingReader()
  yield* reader.pipe(createReadStream(blobPath(dir, blob.sha256)) as AsyncIterable<Uint8Array>)
  if (reader.digest() !== blob.sha256 || reader.size !== blob.size) {
    throw new OmegaError('E_INTEGRITY', `archive "${label}": blob ${blob.sha256} changed while it was imported; nothing was imported`, { details: { path: label, sha256: blob.sha256 } })
  }
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function damaged(label: string, what: string, cause?: unknown): OmegaError {
  return new OmegaError('E_INTEGRITY', `archive "${label}" is damaged: ${what}; nothing was imported`, { details: { path: label }, ...(cause !== undefined && { cause }) })
}
