import { rm, stat } from 'node:fs/promises'
import { OmegaError, errors, throwIfAborted } from '../errors.js'
import { mergeAttributes, type JsonObject } from '../json.js'
import { commit, describeParts, type WrittenParts } from '../store/commit.js'
import type { Metadata, MetadataDoc } from '../store/metadata.js'
import type { ObjectStore } from '../store/object-store.js'
import { VersionedStore, type Head, type PublishOptions, type VersionDoc } from '../store/versioned-store.js'
import { readManifest, verifiedBlob, verifyBlobs, type ArchiveManifest, type ArchivedObject, type ArchivedVersion } from './archive-manifest.js'
import type { ArchiveHost, ArchiveProgress } from './export-archive.js'
import { unpackToTemp } from './tar-gz.js'

/** Options of `om.import`. */
export interface ImportOptions {
  /** The bucket to import into. @default the instance's bucket */
  readonly bucket?: string
  /**
   * Import each archived version as a new version on top of what the target holds (as `promote`
   * does), with `attributes.promotedFrom = { store, bucket, name, version, sha256, archive }` of the
   * source; an unversioned object (a script, a job) is replaced. Without it the objects must not
   * exist in the target, and versions keep their numbers.
   * @default false
   */
  readonly promote?: boolean
  readonly onProgress?: (progress: ArchiveProgress) => void
  readonly signal?: AbortSignal
}

/** One imported object. */
export interface ImportedObject {
  /** `models/`, `data/`, `scripts/` or `jobs/`. */
  readonly prefix: string
  readonly name: string
  /** The version numbers created in the target (empty for unversioned stores). */
  readonly versions: number[]
}

/** What `om.import` published. */
export interface ImportReport {
  readonly objects: ImportedObject[]
  readonly blobs: number
  readonly bytes: number
}

/**
 * The publishing side of promote. It is protected on the stores so that applications cannot publish
 * bytes past `commit()`; core's own archive import is its one other user, and goes through exactly
 * the same commit (pins, blob references, compare-and-set) as a promote.
 */
interface VersionPublisher {
  head(name: string): Promise<Head>
  publishVersion(name: string, kind: string, kindMeta: JsonObject, written: WrittenParts, options: PublishOptions): Promise<VersionDoc>
  afterPublish(doc: VersionDoc, tag?: string): Promise<Metadata>
}
interface PlainPublisher {
  adopt(name: string, source: MetadataDoc, artifacts: { kindMeta: JsonObject; parts: Record<string, AsyncIterable<Uint8Array>> }, attributes: JsonObject): Promise<Metadata>
}

/** What one object's import changed, to undo it if a later one fails. */
interface Done {
  readonly store: ObjectStore
  readonly name: string
  readonly created: boolean
  readonly versions: number[]
}

/**
 * Imports an archive written by `om.export` (a directory or `.tar.gz`). Every blob is hashed
 * and checked against the manifest, and every object checked against the target, before anything
 * is published; objects are then published through the stores' commit path. If publishing fails
 * part-way, what this import published is dropped again.
 *
 * @throws {OmegaError} E_INTEGRITY for a damaged or altered archive; E_CONFLICT if an object exists in the target (without `promote`); E_NOT_FOUND for a missing path
 */
export async function importArchive(host: ArchiveHost, path: string, options: ImportOptions = {}): Promise<ImportReport> {
  const info = await stat(path).catch(() => undefined)
  if (!info) throw errors.notFound('archive', path, undefined, 'give the path of a directory or .tar.gz written by om.export / omega export')
  const temp = info.isFile() ? await unpackToTemp(path) : undefined
  try {
    const dir = temp ?? path
    const manifest = await readManifest(dir, path)
    const targets = manifest.objects.map((o) => targetOf(host, o, path))
    const totalBytes = manifest.blobs.reduce((n, b) => n + b.size, 0) + manifest.objects.reduce((n, o) => n + o.versions.reduce((m, v) => m + v.size, 0), 0)
    let bytes = 0
    const progress = (n: number): void => {
      bytes += n
      options.onProgress?.({ bytes, totalBytes })
    }
    await verifyBlobs(dir, manifest, path, progress, options.signal)
    const existing = await Promise.all(manifest.objects.map(async (o, i) => ((await targets[i]!.exists(o.name)) ? `${o.prefix}${o.name}` : undefined)))
    const clashes = existing.filter((n): n is string => n !== undefined)
    if (clashes.length > 0 && options.promote !== true) {
      throw new OmegaError('E_CONFLICT', `${clashes.join(', ')} already exist(s) in bucket "${host.bucket}"; import into another bucket, drop them, or pass promote to add the archived versions as new versions; nothing was imported`, {
        details: { bucket: host.bucket, names: clashes },
        transient: false,
      })
    }
    const done: Done[] = []
    try {
      for (const [i, object] of manifest.objects.entries()) {
        throwIfAborted(options.signal)
        const store = targets[i]!
        const record: Done = { store, name: object.name, created: existing[i] === undefined, versions: [] }
        done.push(record)
        const context = { backend: host.backend, dir, label: path, manifest, promote: options.promote === true, signal: options.signal, progress }
        if (store instanceof VersionedStore) await importVersions(store, object, record, context)
        else await importPlain(store, object, context)
      }
    } catch (err) {
      await rollback(done)
      throw err
    }
    return {
      objects: done.map((d) => ({ prefix: d.store.prefix, name: d.name, versions: d.versions })),
      blobs: manifest.blobs.length,
      bytes: manifest.blobs.reduce((n, b) => n + b.size, 0),
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true })
  }
}

interface Context {
  readonly backend: ArchiveHost['backend']
  readonly dir: string
  readonly label: string
  readonly manifest: ArchiveManifest
  readonly promote: boolean
  readonly signal: AbortSignal | undefined
  readonly progress: (bytes: number) => void
}

function targetOf(host: ArchiveHost, object: ArchivedObject, label: string): ObjectStore {
  const store = host.stores.find((s) => s.prefix === object.prefix)
  if (!store) throw errors.unsupported(`archive "${label}" holds "${object.prefix}${object.name}", but this instance has no store with prefix "${object.prefix}"; nothing was imported`)
  if ((store instanceof VersionedStore) !== object.versioned) {
    const [there, here] = object.versioned ? ['versioned', 'unversioned'] : ['unversioned', 'versioned']
    throw errors.unsupported(`archive "${label}": "${object.prefix}${object.name}" is ${there} there but om.${store.store} is ${here} here; nothing was imported`)
  }
  return store
}

/** The parts of an archived version, streamed from the archive and checked again as they go. */
function artifactsOf(v: ArchivedVersion, ctx: Context): { kindMeta: JsonObject; parts: Record<string, AsyncIterable<Uint8Array>> } {
  const parts: Record<string, AsyncIterable<Uint8Array>> = {}
  for (const [part, ref] of Object.entries(v.parts)) parts[part] = verifiedBlob(ctx.dir, ref, ctx.label)
  return { kindMeta: v.kindMeta, parts }
}

function promotedFrom(object: ArchivedObject, v: ArchivedVersion, ctx: Context): JsonObject {
  const from: JsonObject = { store: ctx.manifest.source.store, bucket: ctx.manifest.source.bucket, name: object.name, sha256: v.sha256, archive: ctx.label }
  if (v.version !== undefined) from.version = v.version
  return from
}

/**
 * Publishes an object's versions oldest first. Without `promote`, numbers are kept: a number the
 * source had dropped is taken by an empty placeholder version that is dropped at once, leaving
 * the same tombstone the source has (so `name@3`, parents, tags and fit lineage stay true). If the
 * target already used a number (a name dropped earlier leaves none, but a version drop does), the
 * versions are renumbered and parents and tags follow.
 */
async function importVersions(store: VersionedStore, object: ArchivedObject, record: Done, ctx: Context): Promise<void> {
  const pub = store as unknown as VersionPublisher
  const numbers = new Map<number, number>()
  for (const v of object.versions) {
    let head = await pub.head(object.name)
    if (!ctx.promote) {
      while (head.newest + 1 < v.version!) {
        const placeholder = await pub.publishVersion(object.name, 'json', {}, { ...describeParts({}), pins: {} }, { parent: null, head })
        await store.drop(`${object.name}@${placeholder.version}`, { force: true })
        head = await pub.head(object.name)
      }
    }
    const parent = ctx.promote ? undefined : v.parent === null || v.parent === undefined ? null : (numbers.get(v.parent) ?? (head.newest + 1 === v.version ? v.parent : null))
    const attributes = ctx.promote ? mergeAttributes(v.attributes, { promotedFrom: promotedFrom(object, v, ctx) }) : v.attributes
    const doc = await commit(ctx.backend, artifactsOf(v, ctx), ctx.signal, async (written) => {
      if (written.sha256 !== v.sha256) throw altered(ctx.label, object, v)
      return await pub.publishVersion(object.name, v.kind, v.kindMeta, written, { attributes, parent, head, signal: ctx.signal })
    })
    numbers.set(v.version!, doc.version)
    record.versions.push(doc.version)
    ctx.progress(v.size)
    await pub.afterPublish(doc)
  }
  for (const [tag, version] of Object.entries(object.tags)) await store.tag(`${object.name}@${numbers.get(version)!}`, tag)
}

async function importPlain(store: ObjectStore, object: ArchivedObject, ctx: Context): Promise<void> {
  const v = object.versions.at(-1)!
  const attributes = ctx.promote ? mergeAttributes(v.attributes, { promotedFrom: promotedFrom(object, v, ctx) }) : v.attributes
  const meta = await (store as unknown as PlainPublisher).adopt(object.name, { kind: v.kind } as MetadataDoc, artifactsOf(v, ctx), attributes)
  if (meta.sha256 !== v.sha256) throw altered(ctx.label, object, v)
  ctx.progress(v.size)
}

/** Drops what this import published (a name it created goes whole). Best effort: the first error stands. */
async function rollback(done: readonly Done[]): Promise<void> {
  for (const d of [...done].reverse()) {
    if (d.created) await d.store.drop(d.name, { force: true }).catch(() => undefined)
    else for (const v of d.versions) await d.store.drop(`${d.name}@${v}`, { force: true }).catch(() => undefined)
  }
}

function altered(label: string, object: ArchivedObject, v: ArchivedVersion): OmegaError {
  const id = `${object.prefix}${object.name}${v.version === undefined ? '' : `@${v.version}`}`
  return new OmegaError('E_INTEGRITY', `archive "${label}": the parts of ${id} do not add up to its recorded sha256; nothing was imported`, { details: { path: label, name: object.name } })
}
