import type { JsonObject } from '../json.js'
import type { PartRef } from '../backend/chunk-digests.js'

/**
 * What is known about a stored object (SPEC §2). Plain JSON: it round-trips through
 * `JSON.stringify`. `attributes` are the user's (merged on update), `kindMeta` the handler's.
 */
export interface Metadata {
  readonly name: string
  readonly bucket: string
  /** `models/`, `data/`, `scripts/` or `jobs/`. */
  readonly prefix: string
  readonly kind: string
  readonly attributes: JsonObject
  readonly kindMeta: JsonObject
  /** Models and datasets: 1, 2, 3 … per name. */
  readonly version?: number
  /** Models and datasets: the version this one came from (the previous put, the version a fit started from, an append's base). */
  readonly parent?: number | null
  /** Models and datasets: the tags pointing at this version. */
  readonly tags?: string[]
  /** Total bytes of all parts. */
  readonly size: number
  /** sha256 of the single part, or of the part list for multi-part objects. */
  readonly sha256: string
  readonly createdAt: string
  readonly modifiedAt: string
  /** Where the bytes are: part name → content address (and, for parts over 1 MiB, chunk digests). */
  readonly parts: Readonly<Record<string, PartRef>>
}

/** The stored document: Metadata without the derived `tags`. */
export type MetadataDoc = Omit<Metadata, 'tags'>

/** Builds the stored document's JSON form. */
export function metadataToJson(meta: MetadataDoc): JsonObject {
  return JSON.parse(JSON.stringify(meta)) as JsonObject
}
