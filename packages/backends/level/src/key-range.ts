/** The smallest string greater than every string that starts with `prefix` (the end of a key range). */
export function upperBound(prefix: string): string {
  const last = prefix.codePointAt(prefix.length - 1) ?? 0
  return prefix.slice(0, prefix.length - 1) + String.fromCodePoint(last + 1)
}
