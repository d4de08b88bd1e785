import { OmegaError } from '@omega/core'

/** The global options every command sees. */
export interface GlobalOptions {
  readonly store?: string
  readonly bucket?: string
  readonly json?: boolean
  readonly quiet?: boolean
  readonly runtime?: 'inline' | 'pool'
}

/** Where a command writes: stdout for results, stderr for messages and progress. */
export interface Streams {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

/**
 * Prints results: with `--json` exactly one JSON value on stdout per command; otherwise text for
 * people, of which `--quiet` keeps only the data the command was asked for (a listing, a prediction).
 */
export class Output {
  constructor(
    readonly streams: Streams,
    readonly options: GlobalOptions,
  ) {}

  /** The value the command was asked for: printed also with `--quiet`. */
  data(value: unknown, text?: string): void {
    if (this.options.json) this.streams.stdout.write(`${toJsonText(value)}\n`)
    else this.streams.stdout.write(`${text ?? humanText(value)}\n`)
  }

  /** A confirmation (metadata of what was stored…): JSON with `--json`, nothing with `--quiet`. */
  result(value: unknown, text?: string): void {
    if (this.options.json) this.streams.stdout.write(`${toJsonText(value)}\n`)
    else if (!this.options.quiet) this.streams.stdout.write(`${text ?? humanText(value)}\n`)
  }

  /** An error on stderr: `omega: CODE: message`, or `{ code, message }` with `--json`. */
  error(code: string, message: string): void {
    this.streams.stderr.write(this.options.json ? `${JSON.stringify({ code, message })}\n` : `omega: ${code}: ${message}\n`)
  }

  /** True when progress bars may be drawn: stderr is a terminal and neither `--json` nor `--quiet`. */
  get interactive(): boolean {
    return this.streams.stderr.isTTY === true && !this.options.json && !this.options.quiet
  }
}

/** JSON text of command results: bigints (Arrow int64) as numbers when safe, else as strings. */
export function toJsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v), indent)
}

/** A value as text for people: a string as is, strings one per line, anything else as indented JSON. */
export function humanText(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n')
  return toJsonText(value, 2)
}

/** The exit code and message of a failure: 2 for an OmegaError (or any other error), with its code. */
export function describeFailure(err: unknown): { code: string; message: string } {
  if (OmegaError.is(err)) return { code: err.code, message: err.message }
  return { code: 'internal error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }
}

/** A usage error found after parsing (a missing argument that depends on another): exit code 1. */
export class UsageError extends Error {}
