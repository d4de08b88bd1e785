import type { JsonValue } from '../json.js'
import type { Metadata } from './metadata.js'
import type { ModelStore } from './model-store.js'

/** One step of a model's lineage, newest first. */
export interface LineageStep {
  /** How this step relates to the one before it: the start, its parent version, or its promotion source. */
  readonly relation: 'self' | 'parent' | 'promotedFrom'
  readonly bucket: string
  readonly name: string
  readonly version: number
  /** Set when the step lives in another store (then the walk stops there). */
  readonly store?: string
  readonly sha256?: string
  readonly createdAt?: string
  /** The datasets a fit used (`attributes.dataset`), when recorded. */
  readonly dataset?: JsonValue
  /** True if the version was dropped or its store is not this one, so the walk stops. */
  readonly unreachable?: boolean
}

/** Follows `promotedFrom` (across buckets of one store) and `parent` from a version back to its origin. */
export async function walkLineage(start: ModelStore, nameRef: string, maxSteps: number): Promise<LineageStep[]> {
  let meta: Metadata | undefined = await start.version(nameRef)
  let store = start
  let relation: LineageStep['relation'] = 'self'
  const steps: LineageStep[] = []
  while (meta && steps.length < maxSteps) {
    steps.push({
      relation,
      bucket: store.bucket,
      name: meta.name,
      version: meta.version!,
      sha256: meta.sha256,
      createdAt: meta.createdAt,
      ...(meta.attributes.dataset !== undefined && { dataset: meta.attributes.dataset }),
    })
    const from = meta.attributes.promotedFrom as { bucket?: string; name?: string; version?: number; store?: string } | undefined
    let next: { store: ModelStore; name: string; version: number } | undefined
    if (from?.name !== undefined && from.version !== undefined && from.bucket !== undefined) {
      relation = 'promotedFrom'
      if (from.store !== undefined && from.store !== start.storeUrl) {
        steps.push({ relation, bucket: from.bucket, name: from.name, version: from.version, store: from.store, unreachable: true })
        break
      }
      next = { store: store.inBucket(from.bucket), name: from.name, version: from.version }
    } else if (typeof meta.parent === 'number') {
      relation = 'parent'
      next = { store, name: meta.name, version: meta.parent }
    }
    if (!next) break
    store = next.store
    meta = await store.metadata(`${next.name}@${next.version}`)
    if (!meta) {
      steps.push({ relation, bucket: store.bucket, name: next.name, version: next.version, unreachable: true })
      break
    }
  }
  return steps
}
