import { OmegaError } from '../errors.js'
import type { JsonObject } from '../json.js'
import { collectBytes, sha256Hex } from '../backend/hashing.js'
import type { BlobRef, StorageBackend } from '../backend/storage-backend.js'
import type { PartRef } from '../backend/chunk-digests.js'
import type { Artifacts, StoredArtifacts } from '../handler/handler.js'
import type { GcLock } from './gc-lock.js'
import { IO_CONCURRENCY, forEachLimit } from './pool.js'
import type { MetadataDoc } from './metadata.js'

/** Blobs written for one object, and the address that stands for all of them. */
export interface WrittenParts {
  readonly parts: Record<string, PartRef>
  readonly size: number
  readonly sha256: string
}

/** Writes one named part as a blob during a commit. */
export type PartWriter = (name: string, source: Uint8Array | AsyncIterable<Uint8Array>) => Promise<BlobRef>

/**
 * The only write path: `produce` writes parts as blobs (it may stream, deciding parts as it goes),
 * then `publish` runs one compare-and-set on one document, all under the shared GC lock. If anything
 * fails before `publish` succeeds, the blobs this call wrote are collected again, so a failed put
 * leaves nothing behind.
 */
export async function commitWith<T>(
  backend: StorageBackend,
  lock: GcLock,
  signal: AbortSignal | undefined,
  produce: (write: PartWriter) => Promise<void>,
  publish: (written: WrittenParts) => Promise<T>,
): Promise<T> {
  const written: BlobRef[] = []
  let result: { value: T } | undefined
  try {
    result = await lock.shared(async () => {
      const parts: Record<string, PartRef> = {}
      await produce(async (name, source) => {
        const ref: PartRef = await backend.blobs.write(source, { signal })
        written.push(ref)
        parts[name] = { sha256: ref.sha256, size: ref.size, ...(ref.chunks && { chunks: ref.chunks }) }
        return ref
      })
      return { value: await publish(describeParts(parts)) }
    })
    return result.value
  } finally {
    if (!result && written.length > 0) {
      await collectGarbage(backend, lock, written.map((r) => r.sha256)).catch(() => undefined)
    }
  }
}

/** {@link commitWith} for artifacts whose parts are known up front. */
export async function commit<T>(
  backend: StorageBackend,
  lock: GcLock,
  artifacts: Artifacts,
  signal: AbortSignal | undefined,
  publish: (written: WrittenParts) => Promise<T>,
): Promise<T> {
  return await commitWith(
    backend,
    lock,
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
export function describeParts(parts: Record<string, PartRef>): WrittenParts {
  const names = Object.keys(parts).sort()
  const size = names.reduce((n, k) => n + parts[k]!.size, 0)
  const sha256 =
    names.length === 1 ? parts[names[0]!]!.sha256 : sha256Hex(JSON.stringify(names.map((k) => [k, parts[k]!.sha256])))
  return { parts, size, sha256 }
}

/**
 * Deletes those of `candidates` that no metadata document references any more. It scans every
 * document of the backend (cost grows with the number of objects, paid on drop and replace only)
 * under the exclusive GC lock, so no put of this process can be publishing one of them meanwhile.
 */
export async function collectGarbage(backend: StorageBackend, lock: GcLock, candidates: readonly string[]): Promise<void> {
  if (candidates.length === 0) return
  await lock.exclusive(async () => {
    const pending = new Set(candidates)
    for await (const { doc } of backend.meta.list('')) {
      const parts = (doc as { parts?: Record<string, BlobRef> }).parts
      if (parts) for (const ref of Object.values(parts)) pending.delete(ref.sha256)
      if (pending.size === 0) return
    }
    for (const sha of pending) await backend.blobs.delete(sha)
  })
}

/** Every blob a document references. */
export function referencedBlobs(doc: JsonObject | MetadataDoc): string[] {
  const parts = (doc as { parts?: Record<string, BlobRef> }).parts
  return parts ? Object.values(parts).map((r) => r.sha256) : []
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
  return {
    name: meta.name,
    kindMeta: meta.kindMeta,
    partNames: Object.keys(meta.parts),
    stream,
    bytes: async (part) => {
      try {
        return await collectBytes(stream(part))
      } catch (err) {
        if (OmegaError.is(err, 'E_NOT_FOUND')) {
          throw new OmegaError('E_INTEGRITY', `a blob of "${meta.name}" is missing from the store; put the object again`, {
            cause: err,
            details: { name: meta.name, part },
          })
        }
        throw err
      }
    },
    size: (part) => ref(part).size,
  }
}


/** Re-throws a blob's E_INTEGRITY naming the object and part it belongs to. */
async function* namedIntegrity(name: string, part: string, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  try {
    yield* source
  } catch (err) {
    if (!OmegaError.is(err, 'E_INTEGRITY') || (err.details as { name?: unknown } | undefined)?.name !== undefined) throw err
    throw new OmegaError('E_INTEGRITY', `"${name}" (part "${part}"): ${err.message}`, { cause: err, details: { ...err.details, name, part } })
  }
}
