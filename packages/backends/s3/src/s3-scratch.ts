import { AbortMultipartUploadCommand, DeleteObjectCommand, ListMultipartUploadsCommand, type ListMultipartUploadsCommandOutput } from '@aws-sdk/client-s3'
import type { ScratchStore, SignalOptions } from '@omega/core'
import { listObjects } from './s3-blobs.js'
import type { S3Context } from './s3-context.js'
import { isMissing, s3Error, s3Status } from './s3-errors.js'

const UPLOAD = 'upload:'
const OBJECT = 'object:'

/**
 * Leftovers of writes that never finished under `<prefix>/tmp/`: multipart uploads never completed
 * or aborted (their parts are billed until aborted) and completed uploads never copied to their
 * address. fsck lists them and, with repair, removes those older than its grace period. A
 * lifecycle rule "AbortIncompleteMultipartUpload" on the bucket is a good second line.
 */
export class S3Scratch implements ScratchStore {
  constructor(readonly ctx: S3Context) {}

  async *list(options: SignalOptions = {}): AsyncIterable<{ id: string; size: number; modifiedAt: number; detail?: string }> {
    for await (const object of listObjects(this.ctx, this.ctx.tmpPrefix, options.signal)) {
      yield { id: OBJECT + object.Key!, size: object.Size ?? 0, modifiedAt: object.LastModified?.getTime() ?? 0, detail: `temporary object ${object.Key} left by an interrupted write` }
    }
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    do {
      const page = await this.ctx.attempt<ListMultipartUploadsCommandOutput>(
        new ListMultipartUploadsCommand({ Bucket: this.ctx.bucket, Prefix: this.ctx.tmpPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        options.signal,
      )
      if ('err' in page) {
        // A server without the call (s3rver) cannot have uploads to list either way.
        if (s3Status(page.err).status === 501 || s3Status(page.err).code === 'NotImplemented') return
        throw s3Error(this.ctx.place, 'list multipart uploads', page.err, options.signal)
      }
      for (const upload of page.ok.Uploads ?? []) {
        yield {
          id: `${UPLOAD}${upload.UploadId}:${upload.Key}`,
          size: 0,
          modifiedAt: upload.Initiated?.getTime() ?? 0,
          detail: `multipart upload ${upload.UploadId} of ${upload.Key}, started ${upload.Initiated?.toISOString() ?? '?'}, never completed`,
        }
      }
      keyMarker = page.ok.IsTruncated ? page.ok.NextKeyMarker : undefined
      uploadIdMarker = page.ok.IsTruncated ? page.ok.NextUploadIdMarker : undefined
    } while (keyMarker)
  }

  async delete(id: string): Promise<void> {
    if (id.startsWith(OBJECT)) {
      const key = id.slice(OBJECT.length)
      if (key.startsWith(this.ctx.tmpPrefix)) await this.ctx.send('remove a temporary object', new DeleteObjectCommand({ Bucket: this.ctx.bucket, Key: key }))
      return
    }
    if (!id.startsWith(UPLOAD)) return
    const rest = id.slice(UPLOAD.length)
    const colon = rest.indexOf(':')
    const uploadId = rest.slice(0, colon)
    const key = rest.slice(colon + 1)
    if (!key.startsWith(this.ctx.tmpPrefix)) return
    const res = await this.ctx.attempt(new AbortMultipartUploadCommand({ Bucket: this.ctx.bucket, Key: key, UploadId: uploadId }))
    if ('err' in res && !isMissing(res.err)) throw s3Error(this.ctx.place, 'abort a multipart upload', res.err)
  }
}
