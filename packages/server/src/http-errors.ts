import { OmegaError, type ErrorCode } from '@omega/core'

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly code: ErrorCode
  readonly message: string
}

/** An error the HTTP layer answers with its own status (auth, size, routing), still `{ code, message }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}

/** SPEC §10: the HTTP status of an OmegaError code. */
export function statusOf(code: ErrorCode): number {
  if (code === 'E_NOT_FOUND') return 404
  if (code === 'E_CONFLICT') return 409
  if (code === 'E_TIMEOUT') return 504
  if (code === 'E_DATA_SHAPE' || code === 'E_INVALID_NAME' || code === 'E_INVALID_ARGUMENT') return 400
  return 500
}

interface FastifyLikeError {
  readonly code?: unknown
  readonly statusCode?: unknown
  readonly message?: unknown
}

/**
 * Turns anything thrown into a status and `{ code, message }`. fastify's own client errors
 * (malformed JSON, size, media type, schema) get a message of ours: a dependency's error body or
 * stack never reaches the client.
 */
export function toErrorResponse(err: unknown, bodyLimit: number): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) return { status: err.status, body: { code: err.code, message: err.message } }
  if (OmegaError.is(err)) return { status: statusOf(err.code), body: { code: err.code, message: err.message } }
  const e = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError
  const code = typeof e.code === 'string' ? e.code : ''
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  const invalid = (s: number, message: string): { status: number; body: ErrorBody } => ({ status: s, body: { code: 'E_INVALID_ARGUMENT', message } })
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return invalid(413, `the request body is larger than the limit of ${bodyLimit} bytes`)
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return { status: 415, body: { code: 'E_UNSUPPORTED', message: 'unsupported Content-Type: send application/json or application/vnd.apache.arrow.stream' } }
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return invalid(400, 'the request body is empty; send a JSON value or no Content-Type')
  if (code === 'FST_ERR_VALIDATION') return invalid(400, `invalid request: ${String(e.message)}`)
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && err instanceof SyntaxError)) return invalid(400, 'the request body is not valid JSON')
  if (status >= 400 && status < 500) return invalid(status, `bad request (${code || 'client error'})`)
  return { status: 500, body: { code: 'E_BACKEND', message: 'internal server error; see the server log' } }
}
