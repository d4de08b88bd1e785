import { OmegaError, errors } from '@omega/core'

/** Where a failed request was aimed, for messages. */
export interface S3Place {
  readonly bucket: string
  readonly prefix: string
  readonly endpoint: string
}

/** The HTTP status and S3 error code of an SDK error, if it carries them. */
export function s3Status(err: unknown): { status: number | undefined; code: string } {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined
  const code = e?.Code ?? e?.name ?? ''
  // Answers without a body (HEAD) carry no S3 code; the SDK then names them "Unknown" or by status.
  return { status: e?.$metadata?.httpStatusCode, code: code === 'Unknown' ? '' : code }
}

const AUTH_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
])

/** True for "this key does not exist" answers (GET/HEAD/DELETE of a missing object). */
export function isMissing(err: unknown): boolean {
  const { status, code } = s3Status(err)
  return code === 'NoSuchKey' || code === 'NotFound' || (status === 404 && code !== 'NoSuchBucket')
}

/** True when a conditional request's precondition did not hold (412, or 404 for If-Match on a missing key). */
export function isPreconditionFailed(err: unknown): boolean {
  const { status, code } = s3Status(err)
  return status === 412 || code === 'PreconditionFailed'
}

/** 409 ConditionalRequestConflict: a concurrent conditional write to the same key; AWS says retry. */
export function isConditionalConflict(err: unknown): boolean {
  const { status, code } = s3Status(err)
  return code === 'ConditionalRequestConflict' || (status === 409 && code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists')
}

/** The bucket named by the store URL does not exist. */
export function isNoSuchBucket(err: unknown): boolean {
  return s3Status(err).code === 'NoSuchBucket'
}

/**
 * Maps any error of an S3 call to an OmegaError: aborts to E_ABORTED, a missing bucket to
 * E_NOT_FOUND saying how to create it, refused credentials or permissions to E_BACKEND naming the
 * bucket, key prefix and operation, everything else to E_BACKEND with the SDK error as `cause`.
 */
export function s3Error(place: S3Place, op: string, err: unknown, signal?: AbortSignal): OmegaError {
  if (OmegaError.is(err)) return err
  const where = `s3://${place.bucket}/${place.prefix}`
  const { status, code } = s3Status(err)
  const name = (err as Error | undefined)?.name ?? ''
  if (signal?.aborted || name === 'AbortError') return errors.aborted(signal?.reason ?? err)
  const details = { bucket: place.bucket, prefix: place.prefix, op, endpoint: place.endpoint, status: status ?? null, s3Code: code }
  if (isNoSuchBucket(err)) {
    return new OmegaError(
      'E_NOT_FOUND',
      `S3 bucket "${place.bucket}" does not exist at ${place.endpoint}; create it (for example "aws s3 mb s3://${place.bucket}"), or open with s3: { createBucket: true }`,
      { cause: err, details },
    )
  }
  if (status === 403 || AUTH_CODES.has(code)) {
    return new OmegaError(
      'E_BACKEND',
      `S3 refused to ${op} in ${where} (${[code, status && `HTTP ${status}`].filter(Boolean).join(', ')}): check the credentials (s3.credentials, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and that they may get, put, delete and list objects under "${place.prefix || '/'}" in bucket "${place.bucket}"`,
      { cause: err, details, transient: false },
    )
  }
  if (name === 'CredentialsProviderError') {
    return new OmegaError(
      'E_BACKEND',
      `no AWS credentials to ${op} in ${where}: pass s3: { credentials }, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE`,
      { cause: err, details, transient: false },
    )
  }
  const inner = err instanceof Error ? err.message || code || name : String(err)
  return new OmegaError('E_BACKEND', `S3 failed to ${op} in ${where} at ${place.endpoint}: ${inner}${status ? ` (HTTP ${status})` : ''}`, {
    cause: err,
    details,
    transient: status === undefined || status >= 500 || status === 429,
  })
}
