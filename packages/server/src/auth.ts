import { createHash, timingSafeEqual } from 'node:crypto'
import { validateBucket } from '@omega/core'
import type { FastifyRequest } from 'fastify'
import { HttpError } from './http-errors.js'
import type { Action, ResolvedKey } from './server-options.js'

/** What a route needs: an action, or nothing beyond a valid key (`'any'`), or no key at all (`'public'`). */
export type Requirement = Action | 'any' | 'public' | ((request: FastifyRequest) => Action)

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * Checks `Authorization: Bearer <key>` and the key's buckets and actions before a body is read or
 * anything runs. Keys are compared as SHA-256 digests in constant time, so a response's timing
 * tells nothing about how much of a key was right.
 */
export class Authenticator {
  readonly #keys: readonly { key: ResolvedKey; digest: Buffer }[]
  readonly #who = new WeakMap<FastifyRequest, ResolvedKey>()

  constructor(keys: readonly ResolvedKey[]) {
    this.#keys = keys.map((key) => ({ key, digest: digest(key.key) }))
  }

  /** Throws a 400/401/403 HttpError or OmegaError unless the request may go on. */
  check(request: FastifyRequest, requirement: Requirement, bucket: string): void {
    if (this.#keys.length === 0 || requirement === 'public') return
    const header = request.headers.authorization
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
    if (!match) throw new HttpError(401, 'E_INVALID_ARGUMENT', 'missing API key: send Authorization: Bearer <key>')
    const given = digest(match[1]!)
    let found: ResolvedKey | undefined
    for (const k of this.#keys) if (timingSafeEqual(given, k.digest)) found = k.key
    if (!found) throw new HttpError(401, 'E_INVALID_ARGUMENT', 'unknown API key')
    this.#who.set(request, found)
    if (requirement === 'any') return
    const action = typeof requirement === 'function' ? requirement(request) : requirement
    if (!found.actions.has(action)) throw new HttpError(403, 'E_INVALID_ARGUMENT', `API key "${found.id}" may not ${action}`)
    if (found.buckets !== '*' && !found.buckets.has(bucket)) throw new HttpError(403, 'E_INVALID_ARGUMENT', `API key "${found.id}" may not use bucket "${bucket}"`)
  }

  /** The id of the key that authenticated the request (undefined without keys). */
  owner(request: FastifyRequest): string | undefined {
    return this.#who.get(request)?.id
  }
}

/** The bucket of a request: the `bucket` header, validated, else the instance's own. */
export function requestBucket(request: FastifyRequest, fallback: string): string {
  const raw = request.headers.bucket
  if (raw === undefined || raw === '') return fallback
  return validateBucket(Array.isArray(raw) ? raw[0] : raw)
}
