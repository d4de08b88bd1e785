import type { JsonObject } from './json.js'

/** The stable error codes of SPEC §7. Codes never change between major versions; messages may. */
export const ERROR_CODES = [
  'E_NOT_FOUND',
  'E_INVALID_NAME',
  'E_INVALID_ARGUMENT',
  'E_UNSUPPORTED',
  'E_MODEL_LOAD',
  'E_DATA_SHAPE',
  'E_INTEGRITY',
  'E_LOCKED',
  'E_CONFLICT',
  'E_TIMEOUT',
  'E_ABORTED',
  'E_WORKER',
  'E_BACKEND',
] as const

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number]

const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['E_LOCKED', 'E_CONFLICT', 'E_TIMEOUT', 'E_WORKER'])
const BRAND = Symbol.for('omega.error')

/** An OmegaError as plain data, for crossing thread and process boundaries. */
export interface SerializedError {
  readonly code: ErrorCode
  readonly message: string
  readonly details: JsonObject
  readonly transient: boolean
  readonly stack?: string
  readonly cause?: SerializedCause
}
/** A cause as plain data: an OmegaError's own form, or any other error's name/message/stack. */
export type SerializedCause = SerializedError | { readonly name: string; readonly message: string; readonly stack?: string }

/** Options of the {@link OmegaError} constructor. */
export interface OmegaErrorOptions {
  /** The error beneath this one, kept as `cause`. */
  readonly cause?: unknown
  /** Structured facts for programs: `{ name, kind, op, location, … }`. */
  readonly details?: JsonObject
  /** Whether retrying may succeed; defaults by code (locks, conflicts, timeouts, worker crashes). */
  readonly transient?: boolean
}

/**
 * The one error class of omega. Every anticipated failure throws it with a stable `code`.
 * Test with {@link OmegaError.is} rather than `instanceof`: the brand survives duplicate copies of
 * the package and errors rebuilt from data after crossing a worker thread.
 */
export class OmegaError extends Error {
  readonly code: ErrorCode
  readonly details: Readonly<JsonObject>
  readonly transient: boolean

  constructor(code: ErrorCode, message: string, options: OmegaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = options.details ?? {}
    this.transient = options.transient ?? TRANSIENT.has(code)
    Object.defineProperty(this, BRAND, { value: true })
  }

  /** `AbortError` for E_ABORTED (as web platform aborts are named), else `OmegaError`. */
  override get name(): string {
    return this.code === 'E_ABORTED' ? 'AbortError' : 'OmegaError'
  }

  /** Brand check that also narrows on `code`. */
  static is(value: unknown, code?: ErrorCode): value is OmegaError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true &&
      (code === undefined || (value as OmegaError).code === code)
    )
  }

  /** This error as plain data (structured-clone and JSON safe). */
  toJSON(): SerializedError {
    const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = {
      code: this.code,
      message: this.message,
      details: { ...this.details },
      transient: this.transient,
    }
    if (this.stack !== undefined) out.stack = this.stack
    if (this.cause !== undefined) out.cause = serializeCause(this.cause)
    return out
  }

  /** Rebuilds an OmegaError from {@link OmegaError.toJSON} output. */
  static fromJSON(json: SerializedError): OmegaError {
    const cause = json.cause === undefined ? undefined : deserializeCause(json.cause)
    const err = new OmegaError(json.code, json.message, { cause, details: json.details, transient: json.transient })
    if (json.stack !== undefined) err.stack = json.stack
    return err
  }

  /** Wraps anything thrown into an OmegaError: OmegaErrors pass through, others become `code`. */
  static wrap(err: unknown, code: ErrorCode, message: (inner: string) => string, details?: JsonObject): OmegaError {
    if (OmegaError.is(err)) return err
    const inner = err instanceof Error ? err.message : String(err)
    return new OmegaError(code, message(inner), { cause: err, details })
  }
}

function serializeCause(cause: unknown): SerializedCause {
  if (OmegaError.is(cause)) return cause.toJSON()
  if (cause instanceof Error) {
    return cause.stack === undefined
      ? { name: cause.name, message: cause.message }
      : { name: cause.name, message: cause.message, stack: cause.stack }
  }
  return { name: 'Error', message: String(cause) }
}

function deserializeCause(cause: SerializedCause): Error {
  if ('code' in cause) return OmegaError.fromJSON(cause)
  const err = new Error(cause.message)
  err.name = cause.name
  if (cause.stack !== undefined) err.stack = cause.stack
  return err
}

/** Message factories keep the wording of common errors uniform: subject first, then what to do. */
export const errors = {
  notFound(what: string, name: string, bucket?: string, hint = ''): OmegaError {
    const where = bucket === undefined ? '' : ` in bucket "${bucket}"`
    return new OmegaError('E_NOT_FOUND', `${what} "${name}" not found${where}${hint ? `; ${hint}` : ''}`, {
      details: bucket === undefined ? { name } : { name, bucket },
    })
  },
  invalidName(name: string, reason: string): OmegaError {
    const shown = name.length > 80 ? `${name.slice(0, 77)}...` : name
    return new OmegaError('E_INVALID_NAME', `invalid name ${JSON.stringify(shown)}: ${reason}`, {
      details: { name: shown, reason },
    })
  },
  invalidArgument(message: string, details?: JsonObject): OmegaError {
    return new OmegaError('E_INVALID_ARGUMENT', message, { details })
  },
  dataShape(message: string, details?: JsonObject): OmegaError {
    return new OmegaError('E_DATA_SHAPE', message, { details })
  },
  unsupported(message: string, details?: JsonObject): OmegaError {
    return new OmegaError('E_UNSUPPORTED', message, { details })
  },
  locked(location: string, cause?: unknown): OmegaError {
    return new OmegaError(
      'E_LOCKED',
      `store at "${location}" is locked by another process or another open instance; close it, or set OMEGA_HOME (or the store URL) to another directory`,
      { cause, details: { location } },
    )
  },
  conflict(key: string): OmegaError {
    return new OmegaError('E_CONFLICT', `"${key}" was changed by a concurrent writer; retry the operation`, {
      details: { key },
    })
  },
  /** A stored metadata document that cannot be parsed (torn file, invalid JSON): only its object is affected. */
  unreadableDocument(key: string, reason: string, cause?: unknown): OmegaError {
    return new OmegaError(
      'E_INTEGRITY',
      `metadata document "${key}" is unreadable (${reason}); restore it from a backup, or drop the object and put it again (om.fsck() lists every such document)`,
      { cause, details: { key } },
    )
  },
  aborted(reason?: unknown): OmegaError {
    return new OmegaError('E_ABORTED', 'the operation was aborted', { cause: reason })
  },
  backend(location: string, op: string, cause: unknown): OmegaError {
    const inner = cause instanceof Error ? cause.message : String(cause)
    return new OmegaError('E_BACKEND', `storage "${location}" failed to ${op}: ${inner}`, {
      cause,
      details: { location, op },
    })
  },
}

/** Throws E_ABORTED if the signal is already aborted. Long-running calls check it before any work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw errors.aborted(signal.reason)
}
