import { createHash } from 'node:crypto'

/** File names are kept well under the 255-byte limit of common file systems. */
const MAX_SEGMENT = 180

/**
 * Longest document path below `meta/` (in bytes: encoded names are ASCII) kept in the plain
 * layout of one directory per key segment. Longer keys — only names with many non-ASCII
 * characters spread over many segments get there, as each byte outside ASCII letters and digits
 * takes three — use the collapsed layout of {@link encodeKey}, so that the whole path stays far
 * below PATH_MAX (4096 on Linux, 1024 on macOS) wherever the store lives.
 */
export const MAX_PLAIN_PATH = 1024
/** In the collapsed layout, leading segments are kept as directories while they fit in this many bytes. */
const COLLAPSED_DIRS = 512

/**
 * Encodes one key segment as a file name: every byte outside `[A-Za-z0-9_@#-]` becomes `%XX`, so
 * no encoded segment is `.`/`..`, starts with `.`, or contains `/`, `\`, `.` or `~` whatever the
 * name — a document can never land outside the store's root. Encoding is prefix-preserving,
 * which lets listings filter by file name without reading files. Segments whose encoding would
 * exceed {@link MAX_SEGMENT} bytes keep an encoded prefix and end in `~` + a hash of the whole
 * segment; listing reads those files to learn their full key.
 */
export function encodeSegment(segment: string): string {
  const encoded = percentEncode(segment)
  return encoded.length <= MAX_SEGMENT ? encoded : hashed(segment, encoded)
}

/**
 * The file path of a document key below `meta/`, as encoded components (the last one is the
 * file name without `.json`). Keys whose plain path (one {@link encodeSegment} per segment) fits
 * in {@link MAX_PLAIN_PATH} bytes keep it: every store written before the collapsed layout
 * existed reads its files unchanged. Longer keys keep their leading segments as directories
 * while those fit in {@link COLLAPSED_DIRS} bytes, and the rest of the key (segments joined by
 * `/`) becomes one hashed file name, always with `~`. Collision-free: the directories are the
 * exact segments, and the file name carries a hash of the exact remainder, which contains a `/`
 * (or is a last segment hashed where its plain name would not be) so it never equals a plain name.
 */
export function encodeKey(key: string): string[] {
  const segments = key.split('/')
  const encoded = segments.map(encodeSegment)
  if (plainLength(encoded) <= MAX_PLAIN_PATH) return encoded
  const kept = keptDirectories(encoded, segments.length - 1)
  const rest = segments.slice(kept).join('/')
  return [...encoded.slice(0, kept), hashed(rest, percentEncode(rest))]
}

/** The plain layout of a key, as stores before the collapsed layout wrote it (for reading those). */
export function encodePlainKey(key: string): string[] {
  return key.split('/').map(encodeSegment)
}

/**
 * How many of the leading segments (at most `max`) every key starting with them keeps as
 * directories in either layout: where a listing starts its walk.
 */
export function keptDirectories(encoded: readonly string[], max: number): number {
  let length = 0
  let kept = 0
  while (kept < max && length + encoded[kept]!.length + 1 <= COLLAPSED_DIRS) length += encoded[kept++]!.length + 1
  return kept
}

/** The text an encoded name stands for; `complete` is false if it was hashed (only a prefix is known). */
export function decodeSegment(encoded: string): { readonly text: string; readonly complete: boolean } {
  const tilde = encoded.indexOf('~')
  // Most names need no decoding (version documents are `@0000000001`): listings decode every entry.
  if (tilde < 0) return { text: encoded.includes('%') ? percentDecode(encoded) : encoded, complete: true }
  // The kept prefix may end inside a multi-byte character: drop the replacement it decodes to.
  return { text: percentDecode(encoded.slice(0, tilde)).replace(/\uFFFD+$/, ''), complete: false }
}

function plainLength(encoded: readonly string[]): number {
  return encoded.reduce((n, e) => n + e.length + 1, 0)
}

/** A byte that encodes as itself; every other byte becomes `%XX`. */
const PLAIN_CHAR = /[A-Za-z0-9_@#-]/
/** Text made only of such characters (the usual name segment): its encoding is itself. */
const PLAIN = new RegExp(`^${PLAIN_CHAR.source}*$`)

function percentEncode(text: string): string {
  if (PLAIN.test(text)) return text
  return Array.from(Buffer.from(text, 'utf8'), (b) => {
    const c = String.fromCharCode(b)
    return PLAIN_CHAR.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }).join('')
}

function hashed(text: string, encoded: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 32)
  return `${encoded.slice(0, MAX_SEGMENT - 34).replace(/%[0-9A-F]?$/, '')}~${hash}`
}

function percentDecode(text: string): string {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(text.charCodeAt(i))
  }
  return Buffer.from(bytes).toString('utf8')
}
