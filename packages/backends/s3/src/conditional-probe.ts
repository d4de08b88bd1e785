import { randomUUID } from 'node:crypto'
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import type { S3Context } from './s3-context.js'
import { isMissing, isPreconditionFailed, s3Error } from './s3-errors.js'

/** What the probe learned: whether compare-and-set can rely on the server. */
export type ProbeResult = { readonly honoured: true; readonly conditionalDelete: boolean } | { readonly honoured: false; readonly reason: string }

/** An ETag no object has (an MD5 of nothing omega writes). */
const NO_SUCH_ETAG = '"00000000000000000000000000000000"'

/**
 * Asks the server, with a throw-away key under `tmp/`, whether it honours conditional writes:
 * `If-Match` on a missing key must fail, a first `If-None-Match: *` PUT succeed and a second one
 * fail with 412. Also learns whether DELETE honours `If-Match` (AWS does; R2 documents conditional
 * headers for writes only). Five small requests, once per open.
 */
export async function probeConditionalWrites(ctx: S3Context): Promise<ProbeResult> {
  const key = `${ctx.tmpPrefix}probe-${randomUUID()}`
  const put = (condition: { IfMatch?: string; IfNoneMatch?: string }) =>
    ctx.attempt<{ ETag?: string }>(new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: 'omega conditional-write probe', ...condition }))
  const unexpected = (op: string, err: unknown): Error => s3Error(ctx.place, op, err)
  try {
    const onMissing = await put({ IfMatch: NO_SUCH_ETAG })
    if ('ok' in onMissing) return { honoured: false, reason: 'a PUT with If-Match on a missing key succeeded' }
    if (!isPreconditionFailed(onMissing.err) && !isMissing(onMissing.err)) {
      if (isNotImplemented(onMissing.err)) return { honoured: false, reason: 'PUT with If-Match is not implemented' }
      throw unexpected('probe conditional writes', onMissing.err)
    }
    const first = await put({ IfNoneMatch: '*' })
    if ('err' in first) {
      if (isNotImplemented(first.err)) return { honoured: false, reason: 'PUT with If-None-Match is not implemented' }
      throw unexpected('probe conditional writes', first.err)
    }
    const second = await put({ IfNoneMatch: '*' })
    if ('ok' in second) return { honoured: false, reason: 'a second create-only PUT (If-None-Match: *) overwrote the object' }
    if (!isPreconditionFailed(second.err)) throw unexpected('probe conditional writes', second.err)
    const wrongDelete = await ctx.attempt(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: key, IfMatch: NO_SUCH_ETAG }))
    return { honoured: true, conditionalDelete: 'err' in wrongDelete && isPreconditionFailed(wrongDelete.err) }
  } finally {
    await ctx.attempt(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: key }))
  }
}

function isNotImplemented(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } }
  return e?.name === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501
}
