import { errors } from '../../errors.js'
import { isPlainObject, type JsonValue } from '../../json.js'
import type { Artifacts, Handler, StoredArtifacts } from '../handler.js'

/** True if the value is made only of JSON types (plain objects, arrays, finite numbers, …). */
export function isJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (depth > 256) return false
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1))
  if (isPlainObject(value)) return Object.values(value).every((v) => v !== undefined && isJsonValue(v, depth + 1))
  return false
}

/** Kind `json`: any JSON value, stored as one UTF-8 JSON part. The fallback of the data stores. */
export class JsonHandler implements Handler<JsonValue> {
  readonly kind = 'json'
  readonly stores = ['datasets', 'scripts', 'jobs'] as const

  supports(value: unknown): boolean {
    return isJsonValue(value)
  }

  async serialize(value: JsonValue): Promise<Artifacts> {
    const text = JSON.stringify(value)
    return { kindMeta: { type: Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value }, parts: { data: new TextEncoder().encode(text) } }
  }

  async deserialize(stored: StoredArtifacts): Promise<JsonValue> {
    const text = new TextDecoder().decode(await stored.bytes('data'))
    try {
      return JSON.parse(text) as JsonValue
    } catch (err) {
      throw errors.invalidArgument(`stored JSON is not valid: ${(err as Error).message}`)
    }
  }
}
