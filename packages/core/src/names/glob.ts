import picomatch from 'picomatch'
import { errors } from '../errors.js'
import { isHiddenName, isTempName } from './validate-name.js'

/** Options of `list()` that decide which names are shown. */
export interface NameFilterOptions {
  /** Treat the pattern as a regular expression instead of a glob. */
  readonly regexp?: boolean
  /** Include names with a segment starting with `.`. @default false */
  readonly hidden?: boolean
  /** Include names with a segment starting with `_`. @default false */
  readonly includeTemp?: boolean
}

/** True if the text uses glob syntax, so `drop(pattern)` means "every match". */
export function isGlob(text: string): boolean {
  return text.includes('*')
}

/**
 * The literal text every name a pattern matches starts with (`'runs/2024-'` for `'runs/2024-*'`),
 * so a listing reads only that key range; `''` for a regular expression or a negated glob.
 */
export function literalPrefix(pattern: string | undefined, options: NameFilterOptions = {}): string {
  if (pattern === undefined || options.regexp === true) return ''
  const special = /[*?[\]{}()!+@\\|]/.exec(pattern)
  return special ? pattern.slice(0, special.index) : pattern
}

/**
 * Builds the predicate `list()` uses. Globs follow picomatch: `*` matches within one `/` segment,
 * `**` across segments, and `*` also matches leading dots (hidden names are filtered separately).
 */
export function nameMatcher(pattern: string | undefined, options: NameFilterOptions = {}): (name: string) => boolean {
  let match: (name: string) => boolean = () => true
  if (pattern !== undefined && pattern !== '') {
    if (options.regexp) {
      let re: RegExp
      try {
        re = new RegExp(pattern)
      } catch (err) {
        throw errors.invalidArgument(`invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`)
      }
      match = (name) => re.test(name)
    } else {
      match = picomatch(pattern, { dot: true })
    }
  }
  return (name) =>
    (options.hidden === true || !isHiddenName(name)) && (options.includeTemp === true || !isTempName(name)) && match(name)
}
