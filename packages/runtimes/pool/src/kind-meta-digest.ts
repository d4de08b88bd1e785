import { createHash } from 'node:crypto'
import { kindMetaKey, type JsonObject } from '@omega/core'

const DIGESTS = new WeakMap<JsonObject, string>()

/**
 * A short, stable name for a model's kindMeta (22 base64url characters of its sha256), memoised for
 * frozen objects (the runtime's cached metadata): what travels to workers instead of the kindMeta
 * itself, and what keys batches, so a hot call neither posts nor hashes the whole document.
 */
export function kindMetaDigest(kindMeta: JsonObject): string {
  let digest = DIGESTS.get(kindMeta)
  if (digest === undefined) {
    digest = createHash('sha256').update(kindMetaKey(kindMeta)).digest('base64url').slice(0, 22)
    if (Object.isFrozen(kindMeta)) DIGESTS.set(kindMeta, digest)
  }
  return digest
}
