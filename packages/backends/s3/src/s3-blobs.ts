import { randomUUID } from 'node:crypto'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type CompleteMultipartUploadCommandOutput,
  type CreateMultipartUploadCommandOutput,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type ListObjectsV2CommandOutput,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3'
import { HashingReader, OmegaError, errors, isSha256, joinBytes, throwIfAborted, type BlobRef, type BlobStore, type ListedBlob, type SignalOptions } from '@omega/core'
import type { S3Context } from './s3-context.js'
import { isMissing, s3Error } from './s3-errors.js'

/** How blobs are uploaded. */
export interface UploadOptions {
  /** Blobs up to this many bytes go in one PUT (held in memory); larger ones in a multipart upload. */
  readonly multipartThreshold: number
  /** Bytes per uploaded part (AWS needs at least 5 MiB for every part but the last). */
  readonly partSize: number
  /** Parts of one blob uploaded at the same time. */
  readonly uploadConcurrency: number
}

/** CopyObject copies at most 5 GiB in one request. */
const MAX_COPY = 5 * 1024 ** 3

/**
 * Content-addressed blobs at `<prefix>/blobs/<sha256>`. The address is known only once the whole
 * stream was hashed, so a small blob is buffered and PUT under its address; a large one is
 * uploaded in parts to `<prefix>/tmp/<uuid>`, completed, then copied server-side to its address.
 * Either way the blob appears whole or not at all; a failed multipart upload is aborted, and
 * whatever a killed process leaves in `tmp/` is listed by the scratch store for fsck to remove.
 */
export class S3Blobs implements BlobStore {
  constructor(
    readonly ctx: S3Context,
    readonly upload: UploadOptions,
  ) {}

  async write(source: Uint8Array | AsyncIterable<Uint8Array>, options: SignalOptions = {}): Promise<BlobRef> {
    const signal = options.signal
    throwIfAborted(signal)
    const hasher = new HashingReader()
    const iterator = hasher.pipe(source, signal)[Symbol.asyncIterator]()
    const head: Uint8Array[] = []
    let buffered = 0
    while (buffered <= this.upload.multipartThreshold) {
      const next = await iterator.next()
      if (next.done) {
        const sha256 = hasher.digest()
        await this.ctx.send('write a blob', new PutObjectCommand({ Bucket: this.ctx.bucket, Key: this.ctx.blobKey(sha256), Body: joinBytes(head, buffered), ContentLength: buffered }), signal)
        return { sha256, size: hasher.size }
      }
      head.push(next.value)
      buffered += next.value.byteLength
    }
    return await this.#multipart(head, iterator, hasher, signal)
  }

  async #multipart(head: Uint8Array[], rest: AsyncIterator<Uint8Array>, hasher: HashingReader, signal: AbortSignal | undefined): Promise<BlobRef> {
    const ctx = this.ctx
    const tmpKey = `${ctx.tmpPrefix}${randomUUID()}`
    const created = await ctx.send<CreateMultipartUploadCommandOutput>('start a multipart upload', new CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: tmpKey }), signal)
    const uploadId = created.UploadId!
    const parts: { PartNumber: number; ETag: string }[] = []
    const inFlight = new Set<Promise<void>>()
    let failure: unknown
    const send = (bytes: Uint8Array, partNumber: number): void => {
      const p = ctx
        .send<UploadPartCommandOutput>('upload a part', new UploadPartCommand({ Bucket: ctx.bucket, Key: tmpKey, UploadId: uploadId, PartNumber: partNumber, Body: bytes, ContentLength: bytes.byteLength }), signal)
        .then((out) => void parts.push({ PartNumber: partNumber, ETag: out.ETag! }))
        .catch((err: unknown) => void (failure ??= err))
        .finally(() => inFlight.delete(p))
      inFlight.add(p)
    }
    try {
      let pending = head
      let pendingSize = head.reduce((n, c) => n + c.byteLength, 0)
      let partNumber = 0
      let done = false
      while (!done) {
        while (pendingSize < this.upload.partSize) {
          const next = await rest.next()
          if (next.done) {
            done = true
            break
          }
          pending.push(next.value)
          pendingSize += next.value.byteLength
        }
        const all = joinBytes(pending, pendingSize)
        let offset = 0
        while (all.byteLength - offset >= this.upload.partSize || (done && offset < all.byteLength)) {
          const size = Math.min(this.upload.partSize, all.byteLength - offset)
          send(all.subarray(offset, offset + size), ++partNumber)
          offset += size
          while (inFlight.size >= this.upload.uploadConcurrency) await Promise.race(inFlight)
          if (failure) throw failure
        }
        pending = offset < all.byteLength ? [all.subarray(offset)] : []
        pendingSize = all.byteLength - offset
      }
      await Promise.all(inFlight)
      if (failure) throw failure
      parts.sort((a, b) => a.PartNumber - b.PartNumber)
      await ctx.send<CompleteMultipartUploadCommandOutput>(
        'complete a multipart upload',
        new CompleteMultipartUploadCommand({ Bucket: ctx.bucket, Key: tmpKey, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
        signal,
      )
    } catch (err) {
      await Promise.allSettled(inFlight)
      // Best effort: with the server unreachable the upload stays listed until fsck aborts it.
      await ctx.attempt(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: tmpKey, UploadId: uploadId }))
      throw err
    }
    try {
      const ref = { sha256: hasher.digest(), size: hasher.size }
      await this.#publish(tmpKey, ref, signal)
      return ref
    } finally {
      await ctx.attempt(new DeleteObjectCommand({ Bucket: ctx.bucket, Key: tmpKey }))
    }
  }

  /** Copies a completed upload to its content address, unless bytes of that length are already there. */
  async #publish(tmpKey: string, ref: BlobRef, signal: AbortSignal | undefined): Promise<void> {
    const key = this.ctx.blobKey(ref.sha256)
    const head = await this.ctx.attempt<HeadObjectCommandOutput>(new HeadObjectCommand({ Bucket: this.ctx.bucket, Key: key }), signal)
    if ('ok' in head && head.ok.ContentLength === ref.size) return
    if ('err' in head && !isMissing(head.err)) throw s3Error(this.ctx.place, 'check a blob', head.err, signal)
    if (ref.size > MAX_COPY) {
      throw new OmegaError('E_UNSUPPORTED', `a single blob of ${ref.size} bytes exceeds the 5 GiB that @omega/s3 can publish with CopyObject; store it in smaller pieces (datasets are split by batch and column)`, {
        details: { size: ref.size },
      })
    }
    await this.ctx.send('publish a blob', new CopyObjectCommand({ Bucket: this.ctx.bucket, Key: key, CopySource: `${this.ctx.bucket}/${encodeURIComponent(tmpKey).replace(/%2F/g, '/')}` }), signal)
  }

  async *read(sha256: string, options: SignalOptions = {}): AsyncIterable<Uint8Array> {
    const signal = options.signal
    throwIfAborted(signal)
    if (!isSha256(sha256)) throw errors.notFound('blob', sha256)
    const got = await this.ctx.attempt<GetObjectCommandOutput>(new GetObjectCommand({ Bucket: this.ctx.bucket, Key: this.ctx.blobKey(sha256) }), signal)
    if ('err' in got) {
      if (isMissing(got.err)) throw errors.notFound('blob', sha256)
      throw s3Error(this.ctx.place, 'read a blob', got.err, signal)
    }
    const body = got.ok.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined
    if (!body) return
    try {
      for await (const chunk of body) {
        throwIfAborted(signal)
        yield chunk
      }
    } catch (err) {
      throw s3Error(this.ctx.place, 'read a blob', err, signal)
    } finally {
      body.destroy?.()
    }
  }

  async has(sha256: string): Promise<boolean> {
    if (!isSha256(sha256)) return false
    const head = await this.ctx.attempt(new HeadObjectCommand({ Bucket: this.ctx.bucket, Key: this.ctx.blobKey(sha256) }))
    if ('ok' in head) return true
    if (isMissing(head.err)) return false
    throw s3Error(this.ctx.place, 'check a blob', head.err)
  }

  async delete(sha256: string): Promise<void> {
    if (!isSha256(sha256)) return
    await this.ctx.send('delete a blob', new DeleteObjectCommand({ Bucket: this.ctx.bucket, Key: this.ctx.blobKey(sha256) }))
  }

  async *list(options: SignalOptions = {}): AsyncIterable<ListedBlob> {
    for await (const object of listObjects(this.ctx, this.ctx.blobPrefix, options.signal)) {
      const sha256 = object.Key!.slice(this.ctx.blobPrefix.length)
      if (isSha256(sha256)) yield { sha256, size: object.Size ?? 0, ...(object.LastModified && { modifiedAt: object.LastModified.getTime() }) }
    }
  }
}

/** Every object under `prefix`, page by page. */
export async function* listObjects(ctx: S3Context, prefix: string, signal?: AbortSignal): AsyncIterable<NonNullable<ListObjectsV2CommandOutput['Contents']>[number]> {
  let token: string | undefined
  do {
    throwIfAborted(signal)
    const page: ListObjectsV2CommandOutput = await ctx.send('list objects', new ListObjectsV2Command({ Bucket: ctx.bucket, Prefix: prefix, ContinuationToken: token }), signal)
    for (const object of page.Contents ?? []) if (object.Key) yield object
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
}
