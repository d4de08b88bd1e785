/** A JSON value: what metadata, kindMeta and attributes are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue }

/** True for a plain object (not an array, not null, not a class instance other than Object). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * Deep-copies `value` through JSON so that what is stored is exactly what a later read returns
 * (undefined members dropped, class instances reduced to their JSON form).
 */
export function toJson<T extends JsonValue = JsonObject>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** Merges attribute objects: plain objects merge recursively, everything else is replaced. */
export function mergeAttributes(base: JsonObject, update: JsonObject | undefined): JsonObject {
  if (!update) return { ...base }
  // A Map and fromEntries: user keys such as "__proto__" or "constructor" stay own data properties.
  const out = new Map(Object.entries(base))
  for (const [k, v] of Object.entries(update)) {
    const prev = out.get(k)
    out.set(k, isPlainObject(prev) && isPlainObject(v) ? mergeAttributes(prev as JsonObject, v as JsonObject) : v)
  }
  return Object.fromEntries(out)
}
