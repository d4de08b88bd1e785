import { createHash } from 'node:crypto'

/** File names are kept well under the 255-byte limit of common file systems. */
const MAX_SEGMENT = 180

/**
 * Encodes one key segment as a file name: every byte outside `[A-Za-z0-9_@#-]` becomes `%XX`, so
 * no encoded segment is `.`/`..`, starts with `.`, or contains `/` or `\` whatever the name —
 * a document can never land outside the store's root. Encoding is prefix-preserving, which lets
 * listings filter by file name without reading files. Segments that would be too long keep an
 * encoded prefix and end in `~` + a hash; listing reads those files to learn their full key.
 */
export function encodeSegment(segment: string): string {
  const encoded = Array.from(Buffer.from(segment, 'utf8'), (b) => {
    const c = String.fromCharCode(b)
    return /[A-Za-z0-9_@#-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }).join('')
  if (encoded.length <= MAX_SEGMENT) return encoded
  const hash = createHash('sha256').update(segment).digest('hex').slice(0, 32)
  return `${encoded.slice(0, MAX_SEGMENT - 34).replace(/%[0-9A-F]?$/, '')}~${hash}`
}

/** The segment of an encoded name, or undefined if it was hashed (then only a prefix is known). */
export function decodeSegment(encoded: string): { readonly text: string; readonly complete: boolean } {
  const tilde = encoded.indexOf('~')
  const body = tilde < 0 ? encoded : encoded.slice(0, tilde)
  return { text: decodeURIComponentSafe(body), complete: tilde < 0 }
}

function decodeURIComponentSafe(text: string): string {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(text.charCodeAt(i))
  }
  return Buffer.from(bytes).toString('utf8')
}
