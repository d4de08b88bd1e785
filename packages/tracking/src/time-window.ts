import { errors } from '@omega/core'

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }

/**
 * A point in time for `data({ since, end })`: a Date, epoch milliseconds, or a span back from now
 * (`'30s'`, `'15m'`, `'5h'`, `'1d'`, `'2w'`).
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT for anything else
 */
export function toEpochMs(value: Date | number | string, what: string, now = Date.now()): number {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime()
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(value.trim())
    if (m) return now - Number(m[1]) * UNITS[m[2]!]!
    const parsed = Date.parse(value)
    if (!Number.isNaN(parsed)) return parsed
  }
  throw errors.invalidArgument(`${what} must be a Date, epoch milliseconds, an ISO date or a span like '5h', '1d', '2w' (got ${JSON.stringify(value)})`)
}
