import { errors } from '../errors.js'

/** Longest name accepted (SPEC §2). */
export const MAX_NAME_LENGTH = 512

/**
 * Characters that the name grammar gives a meaning (`@` version/tag, `^` parent, `[]` columns,
 * `#` operation, `*` glob), so a stored name may not contain them.
 */
const RESERVED = /[@^[\]#*]/
/** C0 controls, DEL and C1 controls (U+0080–U+009F). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
/** A UTF-16 surrogate not part of a pair (in `u` mode a class matches only unpaired ones). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * Validates a plain object name (no suffixes) and returns it.
 *
 * @throws {OmegaError} E_INVALID_NAME with the reason, before anything is written.
 */
export function validateName(name: unknown): string {
  if (typeof name !== 'string') throw errors.invalidName(String(name), 'a name must be a string')
  if (name.length === 0) throw errors.invalidName(name, 'a name may not be empty')
  if (name.length > MAX_NAME_LENGTH) {
    throw errors.invalidName(name, `a name may have at most ${MAX_NAME_LENGTH} characters (got ${name.length})`)
  }
  if (CONTROL.test(name)) throw errors.invalidName(name, 'a name may not contain control characters (NUL, newline, U+0080–U+009F, …)')
  // Stores keep names as UTF-8, where every lone surrogate becomes U+FFFD: two names would be one object.
  if (LONE_SURROGATE.test(name)) throw errors.invalidName(name, 'a name must be well-formed Unicode (it has an unpaired UTF-16 surrogate)')
  if (name.includes('\\')) throw errors.invalidName(name, 'a name may not contain "\\"; separate segments with "/"')
  const reserved = RESERVED.exec(name)
  if (reserved) throw errors.invalidName(name, `"${reserved[0]}" is reserved by the name grammar`)
  for (const segment of name.split('/')) {
    if (segment === '') throw errors.invalidName(name, 'a name may not have an empty segment ("//", or a leading or trailing "/")')
    if (segment === '.' || segment === '..') throw errors.invalidName(name, `a name may not have a "${segment}" segment`)
  }
  return name
}

/** Validates a bucket name: one segment of the name rules. */
export function validateBucket(bucket: unknown): string {
  const name = validateName(bucket)
  if (name.includes('/')) throw errors.invalidName(name, 'a bucket name may not contain "/"')
  return name
}

/** Names whose any segment starts with `_` are temporary (hidden from `list` unless `includeTemp`). */
export function isTempName(name: string): boolean {
  return name.split('/').some((s) => s.startsWith('_'))
}

/** Names whose any segment starts with `.` are hidden (hidden from `list` unless `hidden`). */
export function isHiddenName(name: string): boolean {
  return name.split('/').some((s) => s.startsWith('.'))
}
