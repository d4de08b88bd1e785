import { InvalidArgumentError } from 'commander'

/**
 * Collects repeated `--param k=v` / `--csv k=v` options into an object. A value is read as JSON
 * when it parses (`3`, `true`, `[1,2]`, `{"a":"int32"}`), else kept as text (`delimiter=;`).
 */
export function collectKeyValue(text: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = text.indexOf('=')
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${text}"`)
  const key = text.slice(0, eq)
  const raw = text.slice(eq + 1)
  let value: unknown = raw
  try {
    value = JSON.parse(raw)
  } catch {
    // plain text
  }
  return { ...previous, [key]: value }
}

/** Parses a positive integer option. */
export function positiveInt(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${text}"`)
  return n
}

/** Parses a JSON option (`--args '[1,2]'`). */
export function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new InvalidArgumentError(`expected JSON, got ${text}`)
  }
}

/** Parses a JSON object option (`--attributes '{"team":"a"}'`). */
export function jsonObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidArgumentError(`expected a JSON object, got ${text}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(`expected a JSON object, got ${text}`)
  return value as Record<string, unknown>
}
