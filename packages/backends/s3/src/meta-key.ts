import { createHash } from 'node:crypto'

/**
 * Encoded segments longer than this are cut and hashed. S3 itself allows 1,024-byte keys, but
 * file-system-backed servers (MinIO, s3rver) map segments to file names of at most 255 bytes.
 */
const MAX_SEGMENT = 180
/** Bytes of encoded text a hashed segment or remainder keeps before its `~` + hash. */
const HASHED_KEEP = 120
/** Longest encoded key (below `meta/`) kept segment by segment; S3 keys end at 1,024 bytes with the store prefix. */
const MAX_KEY = 700
/** In a collapsed key, leading segments are kept while they fit in this many bytes. */
const MAX_DIRS = 400
/** A listing prefix keeps at most this much of a partial last segment (less than {@link HASHED_KEEP}). */
const PARTIAL_KEEP = 100
/** Every document object ends so, which keeps a document `a` apart from the documents below `a/`. */
export const DOC_SUFFIX = '.json'

const SAFE = /^[A-Za-z0-9_@-]$/

/**
 * Percent-encodes every UTF-8 byte outside `[A-Za-z0-9_@-]`, so encoded keys are plain ASCII
 * without `.`, `~` or `/`, whatever the name. Prefix-preserving, character by character.
 */
function percentEncode(text: string): string {
  let out = ''
  for (const ch of text) {
    if (SAFE.test(ch)) out += ch
    else if (ch.charCodeAt(0) < 0x80) out += `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
    else out += encodeURIComponent(ch)
  }
  return out
}

/** The first `n` bytes of an encoded text, never splitting a `%XX` escape. */
function cut(encoded: string, n: number): string {
  let end = Math.min(n, encoded.length)
  const pct = encoded.lastIndexOf('%', end - 1)
  if (pct !== -1 && pct > end - 3) end = pct
  return encoded.slice(0, end)
}

function hashed(text: string, encoded: string): string {
  return `${cut(encoded, HASHED_KEEP)}~${createHash('sha256').update(text).digest('hex').slice(0, 32)}`
}

function encodeSegment(segment: string): string {
  const encoded = percentEncode(segment)
  return encoded.length <= MAX_SEGMENT ? encoded : hashed(segment, encoded)
}

/**
 * The object key (below `meta/`, without {@link DOC_SUFFIX}) of a document key. Each segment is
 * {@link percentEncode}d; a long segment keeps an encoded prefix and ends in `~` + a hash of it;
 * a long key keeps its leading segments while they fit in {@link MAX_DIRS} bytes and hashes the
 * rest. Only hashed keys contain `~`: every other key decodes back without reading the object.
 */
export function encodeMetaKey(key: string): string {
  const segments = key.split('/')
  const encoded = segments.map(encodeSegment)
  const plain = encoded.join('/')
  if (plain.length <= MAX_KEY) return plain
  let length = 0
  let kept = 0
  while (kept < segments.length - 1 && length + encoded[kept]!.length + 1 <= MAX_DIRS) length += encoded[kept++]!.length + 1
  const rest = segments.slice(kept).join('/')
  return [...encoded.slice(0, kept), hashed(rest, percentEncode(rest))].join('/')
}

/** The document key of an encoded object key, or undefined for a hashed one (its document holds the key). */
export function decodeMetaKey(encoded: string): string | undefined {
  if (encoded.includes('~')) return undefined
  try {
    return encoded.split('/').map(decodeURIComponent).join('/')
  } catch {
    return undefined
  }
}

/**
 * An object-key prefix that every document key starting with `prefix` has, in either layout of
 * {@link encodeMetaKey}: the complete segments while they are not hashed and fit in
 * {@link MAX_DIRS}, then (if all fitted) the first bytes of the partial last segment. Listings
 * filter what it returns by the full key.
 */
export function metaListPrefix(prefix: string): string {
  const segments = prefix.split('/')
  const partial = segments.pop()!
  let out = ''
  for (const segment of segments) {
    const encoded = encodeSegment(segment)
    if (encoded.includes('~') || out.length + encoded.length + 1 > MAX_DIRS) return out
    out += `${encoded}/`
  }
  return out + cut(percentEncode(partial), PARTIAL_KEEP)
}
