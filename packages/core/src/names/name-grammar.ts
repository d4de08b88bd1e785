import { errors } from '../errors.js'
import { validateName } from './validate-name.js'

/** Which version of a model a name addresses: `@3`, `@latest`, `@production`. */
export type VersionRef =
  | { readonly type: 'latest' }
  | { readonly type: 'version'; readonly version: number }
  | { readonly type: 'tag'; readonly tag: string }

/** One item of a column selector: a column, or an inclusive range by schema order. */
export type ColumnItem =
  | { readonly type: 'column'; readonly name: string }
  | { readonly type: 'range'; readonly from?: string; readonly to?: string }

/** `[a,b]`, `[a:c]`, `[:b]`, `[b:]`, `[^y]`, `[^y,z]`. */
export interface ColumnSelector {
  /** `[^…]`: every column except the listed ones. */
  readonly exclude: boolean
  readonly items: readonly ColumnItem[]
}

/** `#iterchunks:chunksize=N`, `#rows:start=A,end=B`. */
export interface NameOperation {
  readonly op: string
  readonly args: Readonly<Record<string, string>>
}

/** A name with everything the grammar allows after it. */
export interface ParsedName {
  /** The text that was parsed. */
  readonly raw: string
  /** The object's name: validated, no suffixes. */
  readonly name: string
  /** `@…`; absent means latest. */
  readonly ref?: VersionRef
  /** Number of `^`: how many versions back from `ref`. */
  readonly back: number
  readonly columns?: ColumnSelector
  readonly operation?: NameOperation
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const ARG_VALUE = /^[^[\]#@^,=]+$/
const OP = /^[A-Za-z][A-Za-z0-9_]*$/
const ARG_KEY = /^[A-Za-z][A-Za-z0-9_]*$/

/**
 * Parses the omega name grammar: `name`, `a/b`, `name@3`, `name@latest`, `name@tag`, `name^`,
 * `name@tag^^`, `name[a,b]`, `name[a:c]`, `name[^y]`, `name#op:k=v,k2=v2`, in that order.
 *
 * @throws {OmegaError} E_INVALID_NAME naming what is wrong.
 */
export function parseName(raw: unknown): ParsedName {
  if (typeof raw !== 'string') throw errors.invalidName(String(raw), 'a name must be a string')
  const end = firstIndexOf(raw, ['@', '^', '[', '#'])
  const name = validateName(raw.slice(0, end))
  let rest = raw.slice(end)
  let ref: VersionRef | undefined
  let back = 0
  let columns: ColumnSelector | undefined
  let operation: NameOperation | undefined

  if (rest.startsWith('@')) {
    const stop = firstIndexOf(rest.slice(1), ['^', '[', '#', '@']) + 1
    ref = parseRef(raw, rest.slice(1, stop))
    rest = rest.slice(stop)
  }
  while (rest.startsWith('^')) {
    back++
    rest = rest.slice(1)
  }
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close < 0) throw errors.invalidName(raw, 'unclosed "[" in column selector')
    columns = parseColumns(raw, rest.slice(1, close))
    rest = rest.slice(close + 1)
  }
  if (rest.startsWith('#')) {
    operation = parseOperation(raw, rest.slice(1))
    rest = ''
  }
  if (rest !== '') throw errors.invalidName(raw, `unexpected "${rest}" after the name (order: name@ref^[cols]#op)`)
  return { raw, name, back, ...(ref && { ref }), ...(columns && { columns }), ...(operation && { operation }) }
}

/** Formats a version reference back to its text (`@3`, `@production`), for messages and lineage. */
export function formatRef(name: string, ref: VersionRef | undefined, back = 0): string {
  const r = !ref || ref.type === 'latest' ? '' : ref.type === 'version' ? `@${ref.version}` : `@${ref.tag}`
  return `${name}${r}${'^'.repeat(back)}`
}

/** True for a tag name the grammar accepts: not `latest`, not all digits. */
export function isValidTag(tag: string): boolean {
  return tag !== 'latest' && TAG.test(tag) && !/^\d+$/.test(tag)
}

function parseRef(raw: string, text: string): VersionRef {
  if (text === '') throw errors.invalidName(raw, 'empty version after "@"')
  if (text === 'latest') return { type: 'latest' }
  if (/^\d+$/.test(text)) {
    const version = Number(text)
    if (!Number.isSafeInteger(version) || version < 1) throw errors.invalidName(raw, 'versions are numbered from 1')
    return { type: 'version', version }
  }
  if (!isValidTag(text)) throw errors.invalidName(raw, `"${text}" is not a valid tag (letters, digits, "_", ".", "-")`)
  return { type: 'tag', tag: text }
}

function parseColumns(raw: string, text: string): ColumnSelector {
  let body = text
  const exclude = body.startsWith('^')
  if (exclude) body = body.slice(1)
  if (body.trim() === '') throw errors.invalidName(raw, 'empty column selector')
  const items = body.split(',').map((part): ColumnItem => {
    const item = part.trim()
    if (item === '') throw errors.invalidName(raw, 'empty column in selector')
    const colon = item.indexOf(':')
    if (colon < 0) return { type: 'column', name: item }
    if (item.indexOf(':', colon + 1) >= 0) throw errors.invalidName(raw, `bad column range "${item}"`)
    const from = item.slice(0, colon).trim()
    const to = item.slice(colon + 1).trim()
    if (from === '' && to === '') throw errors.invalidName(raw, 'a column range needs a start or an end')
    return { type: 'range', ...(from && { from }), ...(to && { to }) }
  })
  return { exclude, items }
}

function parseOperation(raw: string, text: string): NameOperation {
  const colon = text.indexOf(':')
  const op = colon < 0 ? text : text.slice(0, colon)
  if (!OP.test(op)) throw errors.invalidName(raw, `"#${op}" is not a valid operation`)
  const args: Record<string, string> = {}
  if (colon >= 0) {
    for (const pair of text.slice(colon + 1).split(',')) {
      const eq = pair.indexOf('=')
      const key = eq < 0 ? pair : pair.slice(0, eq)
      if (eq < 0 || !ARG_KEY.test(key) || !ARG_VALUE.test(pair.slice(eq + 1))) {
        throw errors.invalidName(raw, `bad argument "${pair}" in "#${op}" (expected key=value)`)
      }
      if (Object.hasOwn(args, key)) throw errors.invalidName(raw, `argument "${key}" given twice`)
      args[key] = pair.slice(eq + 1)
    }
  }
  return { op, args }
}

function firstIndexOf(text: string, chars: readonly string[]): number {
  let min = text.length
  for (const c of chars) {
    const i = text.indexOf(c)
    if (i >= 0 && i < min) min = i
  }
  return min
}
