import { randomUUID } from 'node:crypto'
import { OmegaError, errors } from '../errors.js'
import type { JsonObject } from '../json.js'
import { collectBytes, sha256Hex } from '../backend/hashing.js'
import type { BlobRef, CasOptions, DocWrite, StorageBackend, StoredDoc } from '../backend/storage-backend.js'
import type { PartRef } from '../backend/chunk-digests.js'
import type { CheckedBlobStore } from '../backend/checked-backend.js'
import type { Artifacts, StoredArtifacts } from '../handler/handler.js'
import { awaitDeletion, deleteUnrecorded, pin, pinWrites, refKey, unpin } from './blob-refs.js'
import { IO_CONCURRENCY, forEachLimit } from './pool.js'
import type { MetadataDoc } from './metadata.js'

/** Blobs written for one object, and the address that stands for all of them. */
export interface WrittenParts {
  readonly parts: Record<string, PartRef>
  readonly size: number
  readonly sha256: string
  /** sha256 → the commit id that holds it in the blob's reference record (see blob-refs.ts). */
  readonly pins: Record<string, string>
  /**
   * Set where the backend has `meta.update`: publishes the document and pins the parts in one
   * atomic write (the pins are not written before). Publish through {@link publishDoc}.
   */
  readonly publish?: (key: string, doc: JsonObject, options: CasOptions) => Promise<string>
}

/** The commit point of a put: writes `doc` under `key` with compare-and-set (and, where the backend can, the parts' pins with it). Returns the revision. */
export async function publishDoc(backend: StorageBackend, written: WrittenParts, key: string, doc: JsonObject, options: CasOptions): Promise<string> {
  return written.publish ? await written.publish(key, doc, options) : await backend.meta.put(key, doc, options)
}

/** Writes one named part as a blob during a commit. */
export type PartWriter = (name: string, source: Uint8Array | AsyncIterable<Uint8Array>) => Promise<BlobRef>

/**
 * The only write path: `produce` writes parts as blobs (it may stream, deciding parts as it goes),
 * each pinned in its reference record before anything relies on it, then `publish` runs one
 * compare-and-set on one document. If anything fails before `publish` succeeds, this call's pins
 * are released again (deleting bytes nothing else holds), so a failed put leaves nothing behind.
 */
export async function commitWith<T>(
  backend: StorageBackend,
  signal: AbortSignal | undefined,
  produce: (write: PartWriter) => Promise<void>,
  publish: (written: WrittenParts) => Promise<T>,
): Promise<T> {
  const commitId = randomUUID()
  const pins: Record<string, string> = {}
  // With meta.update the pins are written with the document (publishPinned), so nothing is pinned before.
  const sources = backend.meta.update ? new Map<string, Uint8Array | AsyncIterable<Uint8Array>>() : undefined
  let pinned = false
  let published = false
  try {
    const parts: Record<string, PartRef> = {}
    // Parts are written concurrently; the document lists them in the order they were produced, so
    // equal puts give equal documents whatever write finished first.
    const order: string[] = []
    await produce(async (name, source) => {
      order.push(name)
      let ref: PartRef = await backend.blobs.write(source, { signal })
      if (pins[ref.sha256] === undefined && sources) {
        pins[ref.sha256] = commitId
        sources.set(ref.sha256, source)
      } else if (pins[ref.sha256] === undefined) {
        pins[ref.sha256] = commitId
        await pin(backend, ref.sha256, commitId)
        // A deleter may have removed these bytes between the write and the pin: write them again.
        if (!(await backend.blobs.has(ref.sha256))) {
          if (!(source instanceof Uint8Array)) throw streamedAway(ref.sha256)
          ref = await backend.blobs.write(source, { signal })
        }
      }
      parts[name] = { sha256: ref.sha256, size: ref.size, ...(ref.chunks && { chunks: ref.chunks }) }
      return ref
    })
    const publishWithPins = async (key: string, doc: JsonObject, options: CasOptions): Promise<string> => {
      const revision = await publishPinned(backend, key, doc, options, commitId, sources!, signal)
      pinned = true
      return revision
    }
    const ordered = Object.fromEntries(order.filter((name) => parts[name] !== undefined).map((name) => [name, parts[name]!]))
    const value = await publish({ ...describeParts(ordered), pins, ...(sources && { publish: publishWithPins }) })
    published = true
    // A publish callback that wrote its document without publishDoc: pin now, late but not never.
    if (sources && !pinned) for (const sha of sources.keys()) await pin(backend, sha, commitId)
    return value
  } finally {
    if (!published && !sources) await releasePins(backend, pins)
    // Nothing was pinned: bytes no record holds go (those another object holds stay).
    if (!published && sources && !pinned) for (const sha of sources.keys()) await deleteUnrecorded(backend, sha).catch(() => undefined)
  }
}

/**
 * {@link WrittenParts.publish}: one `meta.update` holding the document's key and the parts'
 * reference records checks the compare-and-set, adds this commit's holder to each record, checks
 * that the bytes are there, and writes the holders and the document at once. While the records
 * are held no deletion of these bytes can start or be half done, so bytes found missing (deleted
 * after this put wrote them) are written again first.
 */
async function publishPinned(
  backend: StorageBackend,
  key: string,
  doc: JsonObject,
  options: CasOptions,
  holder: string,
  sources: ReadonlyMap<string, Uint8Array | AsyncIterable<Uint8Array>>,
  signal: AbortSignal | undefined,
): Promise<string> {
  const shas = [...sources.keys()]
  for (let attempt = 0; ; attempt++) {
    const state: { blocked?: { sha: string; record: StoredDoc } } = {}
    const revisions = await backend.meta.update!([key, ...shas.map(refKey)], async (current) => {
      if ((current.get(key)?.revision ?? null) !== options.ifRevision) throw errors.conflict(key)
      const writes: DocWrite[] = []
      for (const sha of shas) {
        const record = current.get(refKey(sha))
        const pinning = await pinWrites(backend, sha, holder, record)
        if (!pinning) {
          state.blocked = { sha, record: record! }
          return []
        }
        writes.push(...pinning)
        if (!(await backend.blobs.has(sha))) await rewrite(backend, sha, sources.get(sha)!, signal)
      }
      writes.push({ key, doc })
      return writes
    })
    if (!state.blocked) return revisions.at(-1)!
    await awaitDeletion(backend, state.blocked.sha, state.blocked.record, attempt)
  }
}

/** Writes bytes again that a concurrent drop deleted after this put wrote them (a stream cannot be replayed: E_CONFLICT). */
async function rewrite(backend: StorageBackend, sha256: string, source: Uint8Array | AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): Promise<void> {
  if (!(source instanceof Uint8Array)) throw streamedAway(sha256)
  await backend.blobs.write(source, { signal })
}

function streamedAway(sha256: string): OmegaError {
  return new OmegaError('E_CONFLICT', 'a concurrent drop deleted identical bytes while this put streamed them; nothing was stored, retry the put', {
    details: { sha256 },
  })
}

/** {@link commitWith} for artifacts whose parts are known up front. */
export async function commit<T>(
  backend: StorageBackend,
  artifacts: Artifacts,
  signal: AbortSignal | undefined,
  publish: (written: WrittenParts) => Promise<T>,
): Promise<T> {
  return await commitWith(
    backend,
    signal,
    async (write) => {
      await forEachLimit(Object.entries(artifacts.parts), IO_CONCURRENCY, async ([name, source]) => {
        await write(name, source)
      })
    },
    publish,
  )
}

/** The object-level size and address of a set of parts. */
export function describeParts(parts: Record<string, PartRef>): Omit<WrittenParts, 'pins'> {
  const names = Object.keys(parts).sort()
  const size = names.reduce((n, k) => n + parts[k]!.size, 0)
  const sha256 =
    names.length === 1 ? parts[names[0]!]!.sha256 : sha256Hex(JSON.stringify(names.map((k) => [k, parts[k]!.sha256])))
  return { parts, size, sha256 }
}

/** The holders a document keeps in reference records: `pins`, sha256 → commit id. */
export function pinsOf(doc: JsonObject | MetadataDoc | undefined): Record<string, string> {
  const pins = (doc as { pins?: unknown } | undefined)?.pins
  return pins && typeof pins === 'object' && !Array.isArray(pins) ? (pins as Record<string, string>) : {}
}

/**
 * Releases the holders of documents that were unpublished (dropped, or replaced by `keep`):
 * each blob whose last holder goes is deleted. Cost: the dropped object's parts, whatever else the
 * store holds. Housekeeping after a commit never fails the committed call: a holder left behind
 * (an error, a crash) only delays reclaiming space until `om.fsck({ repair: true })`.
 */
export async function releaseDocs(
  backend: StorageBackend,
  removed: readonly (JsonObject | MetadataDoc)[],
  keep?: JsonObject | MetadataDoc,
  keepBytes = false,
): Promise<void> {
  const kept = pinsOf(keep)
  const release: Record<string, string>[] = removed.map((d) => {
    const out: Record<string, string> = {}
    for (const [sha, holder] of Object.entries(pinsOf(d))) if (kept[sha] !== holder) out[sha] = holder
    return out
  })
  for (const pins of release) await releasePins(backend, pins, keepBytes)
}

async function releasePins(backend: StorageBackend, pins: Record<string, string>, keepBytes = false): Promise<void> {
  await forEachLimit(Object.entries(pins), IO_CONCURRENCY, async ([sha, holder]) => {
    await unpin(backend, sha, holder, keepBytes).catch(() => undefined)
  })
}

/** A handler's view of a stored object's parts, read on demand and verified. */
export function storedArtifacts(backend: StorageBackend, meta: MetadataDoc, signal?: AbortSignal): StoredArtifacts {
  const ref = (part: string): PartRef => {
    const r = meta.parts[part]
    if (!r) throw new OmegaError('E_INTEGRITY', `"${meta.name}" has no stored part "${part}"; put it again`, { details: { name: meta.name, part } })
    return r
  }
  const stream = (part: string): AsyncIterable<Uint8Array> => {
    const r = ref(part)
    const options = { signal, size: r.size, ...(r.chunks && { chunks: r.chunks }) }
    return namedIntegrity(meta.name, part, backend.blobs.read(r.sha256, options as { signal?: AbortSignal }))
  }
  const missing = (part: string) => (err: unknown): never => {
    if (OmegaError.is(err, 'E_NOT_FOUND')) {
      throw new OmegaError('E_INTEGRITY', `a blob of "${meta.name}" is missing from the store; put the object again`, {
        cause: err,
        details: { name: meta.name, part },
      })
    }
    throw err
  }
  const bytes = async (part: string): Promise<Uint8Array> => await collectBytes(stream(part)).catch(missing(part))
  const blobs = backend.blobs as Partial<CheckedBlobStore>
  const readInto = blobs.readVerifiedInto?.bind(blobs)
  return {
    name: meta.name,
    kindMeta: meta.kindMeta,
    partNames: Object.keys(meta.parts),
    stream,
    bytes,
    // Only where the backend reads into a given buffer: elsewhere its own buffers are kept as they are.
    ...(readInto && {
      bytesMany: async (parts: readonly string[]) =>
        await readPartsInto(parts.map((p) => [p, ref(p)] as const), async (part, r, slot) => {
          const options = { size: r.size, ...(r.chunks && { chunks: r.chunks }), ...(signal && { signal }) }
          return await namedIntegrityOf(meta.name, part, readInto(r.sha256, slot, options)).catch(missing(part))
        }),
    }),
    size: (part) => ref(part).size,
  }
}

/** Bytes per shared read buffer at most (a larger object is read into several). */
const SHARED_BUFFER_LIMIT = 512 * 1024 * 1024

/**
 * Reads parts into shared buffers: each part gets an 8-byte aligned slot (Arrow's buffers stay
 * aligned) with one spare byte, so a longer blob shows; buffers are allocated once per up to
 * {@link SHARED_BUFFER_LIMIT} bytes of parts, and a part larger than that gets its own. Reads run
 * {@link IO_CONCURRENCY} at a time; the result holds each part's verified view, in order.
 */
async function readPartsInto(
  parts: readonly (readonly [string, PartRef])[],
  read: (part: string, ref: PartRef, slot: Uint8Array) => Promise<Uint8Array>,
): Promise<Uint8Array[]> {
  const slots: Uint8Array[] = []
  let group: number[] = []
  let groupBytes = 0
  const flush = (): void => {
    if (group.length === 0) return
    // Unsafe (uninitialised) allocation, as fs.readFile does; the spare bytes are zeroed so no
    // stale memory is reachable through the returned views' buffer.
    const buffer = Buffer.allocUnsafeSlow(groupBytes)
    let offset = 0
    for (const size of group) {
      const slot = slotBytes(size)
      buffer.fill(0, offset + size, offset + slot)
      slots.push(buffer.subarray(offset, offset + slot))
      offset += slot
    }
    group = []
    groupBytes = 0
  }
  for (const [, r] of parts) {
    if (groupBytes + slotBytes(r.size) > SHARED_BUFFER_LIMIT) flush()
    group.push(r.size)
    groupBytes += slotBytes(r.size)
  }
  flush()
  const out: Uint8Array[] = new Array(parts.length)
  await forEachLimit([...parts.keys()], IO_CONCURRENCY, async (i) => {
    const [part, r] = parts[i]!
    out[i] = await read(part, r, slots[i]!)
  })
  return out
}

/** A part's slot in a shared buffer: its bytes, one spare byte, rounded up to 8. */
function slotBytes(size: number): number {
  return (size + 8) & ~7
}

/** {@link namedIntegrity} for one awaited read. */
async function namedIntegrityOf(name: string, part: string, read: Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return await read
  } catch (err) {
    throw renameIntegrity(name, part, err)
  }
}

/** A blob's E_INTEGRITY as the object's (naming it and the part); anything else unchanged. */
function renameIntegrity(name: string, part: string, err: unknown): unknown {
  if (!OmegaError.is(err, 'E_INTEGRITY') || (err.details as { name?: unknown } | undefined)?.name !== undefined) return err
  return new OmegaError('E_INTEGRITY', `"${name}" (part "${part}"): ${err.message}`, { cause: err, details: { ...err.details, name, part } })
}


/** Re-throws a blob's E_INTEGRITY naming the object and part it belongs to. */
async function* namedIntegrity(name: string, part: string, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  try {
    yield* source
  } catch (err) {
    throw renameIntegrity(name, part, err)
  }
}
