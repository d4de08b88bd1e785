import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { OmegaError, errors, throwIfAborted } from '../errors.js'
import { isGlob } from '../names/glob.js'
import type { StorageBackend } from '../backend/storage-backend.js'
import { storedArtifacts } from '../store/commit.js'
import type { Metadata } from '../store/metadata.js'
import type { ObjectStore } from '../store/object-store.js'
import { VersionedStore } from '../store/versioned-store.js'
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  MANIFEST_FILE,
  blobPath,
  type ArchiveManifest,
  type ArchivedObject,
  type ArchivedPart,
  type ArchivedVersion,
} from './archive-manifest.js'
import { isTarGz, packDir } from './tar-gz.js'

/** What export and import read and write: one bucket's stores over one backend (not exported from the package). */
export interface ArchiveHost {
  readonly stores: readonly ObjectStore[]
  readonly backend: StorageBackend
  readonly bucket: string
  readonly storeUrl: string
}

/** Progress of a long export or import, in blob bytes. */
export interface ArchiveProgress {
  readonly bytes: number
  readonly totalBytes: number
}

/** Options of `om.export`. */
export interface ExportOptions {
  /** Every live version of each versioned object, or only the latest. @default 'all' */
  readonly versions?: 'all' | 'latest'
  readonly onProgress?: (progress: ArchiveProgress) => void
  readonly signal?: AbortSignal
}

/** What `om.export` wrote. */
export interface ExportReport {
  readonly path: string
  readonly objects: number
  readonly versions: number
  readonly blobs: number
  /** Bytes of all blobs (each blob once). */
  readonly bytes: number
}

/** A version to write: what goes into the manifest and the stored metadata to read its parts with. */
interface Planned {
  readonly object: ArchivedObject
  readonly sources: readonly Metadata[]
}

/**
 * Writes the objects that `patterns` match (`models/iris-*`, `data/iris`) into a directory or,
 * for a path ending `.tar.gz`/`.tgz`, a gzipped tar: `manifest.json` (every object's metadata
 * per version, its tags, and every blob's sha256 and size) and `blobs/<ab>/<sha256>`. Reads go
 * through the stores' public view (`revisions`, `version`), so every version is written whole,
 * whatever layout the store uses inside. The archive appears at `path` only when complete.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT for a pattern without a store prefix or a bad `versions`; E_NOT_FOUND if a pattern matches nothing; E_CONFLICT if `path` exists
 */
export async function exportArchive(host: ArchiveHost, patterns: string | readonly string[], path: string, options: ExportOptions = {}): Promise<ExportReport> {
  const list = typeof patterns === 'string' ? [patterns] : [...patterns]
  const versions = options.versions ?? 'all'
  if (versions !== 'all' && versions !== 'latest') throw errors.invalidArgument(`versions must be 'all' or 'latest', got ${JSON.stringify(versions)}`)
  if (list.length === 0) throw errors.invalidArgument('export needs at least one pattern, e.g. "models/*" or "data/iris"')
  const target = resolve(path)
  if (await stat(target).catch(() => undefined)) {
    throw new OmegaError('E_CONFLICT', `"${path}" already exists; remove it or export to another path (nothing was written)`, { details: { path }, transient: false })
  }
  const planned = await plan(host, list, versions, options.signal)
  const blobs = new Map<string, number>()
  for (const p of planned) for (const v of p.object.versions) for (const part of Object.values(v.parts)) blobs.set(part.sha256, part.size)
  const totalBytes = [...blobs.values()].reduce((a, b) => a + b, 0)
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.partial-`))
  try {
    let bytes = 0
    const written = new Set<string>()
    for (const { sources } of planned) {
      for (const meta of sources) {
        const stored = storedArtifacts(host.backend, meta, options.signal)
        for (const part of stored.partNames) {
          const { sha256, size } = meta.parts[part]!
          if (written.has(sha256)) continue
          throwIfAborted(options.signal)
          const file = blobPath(staging, sha256)
          await mkdir(dirname(file), { recursive: true })
          await pipeline(Readable.from(stored.stream(part)), createWriteStream(file))
          written.add(sha256)
          bytes += size
          options.onProgress?.({ bytes, totalBytes })
        }
      }
    }
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT,
      formatVersion: ARCHIVE_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      source: { store: host.storeUrl, bucket: host.bucket },
      versions,
      objects: planned.map((p) => p.object),
      blobs: [...blobs].map(([sha256, size]) => ({ sha256, size })),
    }
    await writeFile(join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 1))
    if (isTarGz(target)) {
      const tmp = `${staging}.tar.gz`
      try {
        await packDir(staging, tmp)
        await rename(tmp, target)
      } finally {
        await rm(tmp, { force: true })
      }
    } else {
      await rename(staging, target)
    }
    const versionCount = planned.reduce((n, p) => n + p.object.versions.length, 0)
    return { path, objects: planned.length, versions: versionCount, blobs: blobs.size, bytes: totalBytes }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

/** The store a pattern addresses and the glob within it. */
export function storeOf(stores: readonly ObjectStore[], pattern: string): { store: ObjectStore; glob: string } {
  const store = typeof pattern === 'string' ? stores.find((s) => pattern.startsWith(s.prefix)) : undefined
  if (!store || pattern.length === store.prefix.length) {
    const prefixes = stores.map((s) => s.prefix).join(', ')
    throw errors.invalidArgument(`pattern ${JSON.stringify(pattern)} must start with a store prefix (${prefixes}) followed by a name or glob, e.g. "models/*"`)
  }
  return { store, glob: pattern.slice(store.prefix.length) }
}

async function plan(host: ArchiveHost, patterns: readonly string[], versions: 'all' | 'latest', signal: AbortSignal | undefined): Promise<Planned[]> {
  const out: Planned[] = []
  const seen = new Set<string>()
  for (const pattern of patterns) {
    const { store, glob } = storeOf(host.stores, pattern)
    // A name given exactly is exported even if hidden (.x) or temp (_x); a glob skips those, as list() does.
    const names = await store.list(glob, isGlob(glob) ? {} : { hidden: true, includeTemp: true })
    if (names.length === 0) throw errors.notFound(`no object in om.${store.store} matches`, glob, host.bucket, 'nothing was exported')
    for (const name of names) {
      throwIfAborted(signal)
      if (seen.has(store.prefix + name)) continue
      seen.add(store.prefix + name)
      out.push(await planObject(store, name, versions))
    }
  }
  return out
}

async function planObject(store: ObjectStore, name: string, versions: 'all' | 'latest'): Promise<Planned> {
  if (!(store instanceof VersionedStore)) {
    const meta = await store.metadata(name)
    if (!meta) throw errors.notFound(`object in om.${store.store}`, name, store.bucket)
    return { object: { prefix: store.prefix, name, versioned: false, tags: {}, versions: [archived(meta)] }, sources: [meta] }
  }
  const revisions = await store.revisions(name)
  const chosen = versions === 'latest' ? revisions.slice(-1) : revisions
  const sources: Metadata[] = []
  for (const r of chosen) sources.push(await store.version(`${name}@${r.version}`))
  const tags: Record<string, number> = {}
  for (const r of chosen) for (const t of r.tags) tags[t] = r.version
  return { object: { prefix: store.prefix, name, versioned: true, tags, versions: sources.map(archived) }, sources }
}

/** A version as the archive records it: public metadata, parts without store-internal chunk digests. */
function archived(meta: Metadata): ArchivedVersion {
  const parts: Record<string, ArchivedPart> = {}
  for (const [part, ref] of Object.entries(meta.parts)) parts[part] = { sha256: ref.sha256, size: ref.size }
  return {
    ...(meta.version !== undefined && { version: meta.version, parent: meta.parent ?? null }),
    kind: meta.kind,
    kindMeta: meta.kindMeta,
    attributes: meta.attributes,
    createdAt: meta.createdAt,
    modifiedAt: meta.modifiedAt,
    size: meta.size,
    sha256: meta.sha256,
    parts,
  }
}
