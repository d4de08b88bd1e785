import { errors, parseName } from '@omega/core'
import type { FastifyRequest } from 'fastify'

/**
 * The object name after a route prefix, read from the raw URL so that `%2F`, `@`, `^` and `[…]` all
 * arrive as the client encoded them; each segment is percent-decoded once. The name is checked
 * against the name grammar here, before any store call.
 */
export function nameAfter(request: FastifyRequest, prefix: string, opSuffix = false): { name: string; op?: string } {
  const url = request.raw.url ?? ''
  const path = url.split('?', 1)[0]!
  if (!path.startsWith(prefix)) throw errors.invalidArgument(`expected a path under ${prefix}`)
  let segments: string[]
  try {
    segments = path.slice(prefix.length).split('/').map((s) => decodeURIComponent(s))
  } catch {
    throw errors.invalidName(path.slice(prefix.length), 'the name is not valid percent-encoding')
  }
  const op = opSuffix ? segments.pop() : undefined
  const name = segments.join('/')
  parseName(name)
  return op === undefined ? { name } : { name, op }
}

/** A dataset name from the query (`datax`, `datay`), checked like a path name. */
export function queryName(value: unknown, param: string): string | undefined {
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw errors.invalidArgument(`?${param}= must be given once`)
  parseName(value)
  return value
}
