import { CreateBucketCommand, HeadBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { OmegaError, errors, type BackendManifest, type JsonObject, type StorageBackend } from '@omega/core'
import { probeConditionalWrites } from './conditional-probe.js'
import { S3Blobs } from './s3-blobs.js'
import { S3Context } from './s3-context.js'
import { isMissing, isNoSuchBucket, s3Error, type S3Place } from './s3-errors.js'
import { S3Meta, type CasMode } from './s3-meta.js'
import { S3Scratch } from './s3-scratch.js'

/** Options of the S3 backend: `Omega.open({ store: 's3://bucket/prefix', s3: { … } })`. */
export interface S3BackendOptions {
  /** Endpoint URL of an S3-compatible service (MinIO, R2, …). Default: AWS, or `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`. */
  readonly endpoint?: string
  /** Region. Default: `AWS_REGION`, the profile's region, else `us-east-1` when an endpoint is given. */
  readonly region?: string
  /** Static credentials. Default: the AWS chain (environment variables, `AWS_PROFILE` and shared files, SSO, instance roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }
  /** Path-style URLs (`endpoint/bucket/key`). @default true when `endpoint` is given, else false */
  readonly forcePathStyle?: boolean
  /**
   * Skip the conditional-write probe and serialise compare-and-set inside this process only. Safe
   * only when no other process or machine writes the store at the same time; for servers that
   * ignore `If-None-Match`/`If-Match`. @default false
   */
  readonly singleWriter?: boolean
  /** Create the bucket if it does not exist. @default false */
  readonly createBucket?: boolean
  /** Blobs larger than this go up in a multipart upload. @default 16 MiB */
  readonly multipartThreshold?: number
  /** Part size of multipart uploads (AWS: at least 5 MiB). @default 8 MiB */
  readonly partSize?: number
  /** Parts of one blob uploaded at once. @default 4 */
  readonly uploadConcurrency?: number
  /** Attempts per request, transient failures (5xx, throttling, resets, timeouts) retried with jittered backoff. @default 5 */
  readonly maxAttempts?: number
  /** Milliseconds to connect before the attempt fails (and is retried). @default 5000 */
  readonly connectionTimeoutMs?: number
  /** Milliseconds a request may stay silent before the attempt fails (and is retried). @default 60000 */
  readonly requestTimeoutMs?: number
}

const MiB = 1024 * 1024

/**
 * A store under a key prefix of an S3 bucket (`s3://bucket/prefix`), shared by any number of
 * processes and machines. Layout: `meta/` (one JSON object per document), `blobs/<sha256>`,
 * `tmp/` (uploads in progress). Compare-and-set uses the server's conditional writes, probed at
 * open; a server that ignores them is refused unless `singleWriter` is set.
 */
export class S3Backend implements StorageBackend {
  static readonly SCHEME = 's3'
  readonly scheme = S3Backend.SCHEME
  readonly location: string
  readonly supports: BackendManifest = { permanence: true, multiProcess: true, multiThread: true }
  readonly blobs: S3Blobs
  readonly meta: S3Meta
  readonly scratch: S3Scratch
  readonly #ctx: S3Context
  readonly #options: S3BackendOptions
  readonly #mode: { conditional: boolean; conditionalDelete: boolean }
  #opening: Promise<void> | undefined

  constructor(url: string, options: S3BackendOptions = {}) {
    const { bucket, prefix } = parseS3Url(url)
    this.#options = checkOptions(options)
    this.location = `s3://${bucket}/${prefix}`
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (endpoint ? 'us-east-1' : undefined)
    const config: S3ClientConfig = {
      ...(endpoint && { endpoint }),
      ...(region && { region }),
      ...(options.credentials && { credentials: { ...options.credentials } }),
      forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
      maxAttempts: options.maxAttempts ?? 5,
      retryMode: 'standard',
      // omega verifies every byte it reads against its sha256; CRC headers add nothing but
      // incompatibilities with S3-compatible servers that predate them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5000, requestTimeout: options.requestTimeoutMs ?? 60_000 },
    }
    const place: S3Place = { bucket, prefix, endpoint: endpoint ?? 'AWS S3' }
    this.#ctx = new S3Context(() => new S3Client(config), place)
    this.#mode = { conditional: !options.singleWriter, conditionalDelete: false }
    const casMode: CasMode = this.#mode
    this.blobs = new S3Blobs(this.#ctx, {
      multipartThreshold: options.multipartThreshold ?? 16 * MiB,
      partSize: options.partSize ?? 8 * MiB,
      uploadConcurrency: options.uploadConcurrency ?? 4,
    })
    this.meta = new S3Meta(this.#ctx, casMode)
    this.scratch = new S3Scratch(this.#ctx)
  }

  /** Checks the bucket (creating it if asked) and probes conditional writes. Idempotent. */
  async open(): Promise<void> {
    this.#opening ??= this.#open().catch((err: unknown) => {
      this.#opening = undefined
      throw err
    })
    await this.#opening
  }

  async #open(): Promise<void> {
    const ctx = this.#ctx
    const head = await ctx.attempt(new HeadBucketCommand({ Bucket: ctx.bucket }))
    if ('err' in head) {
      if (!(isNoSuchBucket(head.err) || isMissing(head.err))) throw s3Error(ctx.place, 'open the store (HeadBucket)', head.err)
      if (!this.#options.createBucket) throw s3Error(ctx.place, 'open the store', Object.assign(new Error('NoSuchBucket'), { name: 'NoSuchBucket', Code: 'NoSuchBucket' }))
      await ctx.send('create the bucket', new CreateBucketCommand({ Bucket: ctx.bucket }))
    }
    if (this.#options.singleWriter) return
    const probe = await probeConditionalWrites(ctx)
    if (!probe.honoured) {
      throw new OmegaError(
        'E_UNSUPPORTED',
        `the S3 server at ${ctx.place.endpoint} ignores conditional writes (${probe.reason}), so two processes writing ${this.location} at the same time could silently lose a version or a document. ` +
          'omega needs If-None-Match/If-Match on PUT (AWS S3, Cloudflare R2 and MinIO implement them). If only one process ever writes this store, open it with s3: { singleWriter: true }: compare-and-set is then enforced inside that process only.',
        { details: { location: this.location, endpoint: ctx.place.endpoint, reason: probe.reason, option: 's3.singleWriter' } },
      )
    }
    this.#mode.conditionalDelete = probe.conditionalDelete
  }

  /** Closes the client's sockets; a later open() starts a new client. */
  async close(): Promise<void> {
    this.#opening = undefined
    this.#ctx.release()
  }

  /** The S3 client in use (for diagnostics, and for tests that tamper with stored objects). */
  get client(): S3Client {
    return this.#ctx.client
  }

  /** The object key that holds a metadata document. */
  docObjectKey(key: string): string {
    return this.meta.objectKey(key)
  }

  /** The object key that holds a blob. */
  blobObjectKey(sha256: string): string {
    return this.#ctx.blobKey(sha256)
  }

  /** The bucket and key prefix of the store. */
  get bucket(): string {
    return this.#ctx.bucket
  }
}

/** `s3://bucket/prefix/more` → bucket and prefix (no leading or trailing `/`). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(url)
  const bucket = m?.[1] ?? ''
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw errors.invalidArgument(`store URL ${JSON.stringify(url)} is not s3://bucket/prefix with a valid bucket name (3–63 lowercase letters, digits, "." and "-")`, { store: url })
  }
  const prefix = m[2]!.replace(/^\/+|\/+$/g, '')
  if (prefix.split('/').some((s) => s === '' || s === '.' || s === '..') && prefix !== '') {
    throw errors.invalidArgument(`store URL ${JSON.stringify(url)} has an empty, "." or ".." segment in its key prefix`, { store: url })
  }
  return { bucket, prefix }
}

function checkOptions(options: unknown): S3BackendOptions {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object') throw errors.invalidArgument('s3 options must be an object: { endpoint, region, credentials, forcePathStyle, … }')
  const o = options as Record<string, unknown>
  for (const name of ['multipartThreshold', 'partSize', 'uploadConcurrency', 'maxAttempts', 'connectionTimeoutMs', 'requestTimeoutMs']) {
    const v = o[name]
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) throw errors.invalidArgument(`s3.${name} must be a positive integer, got ${JSON.stringify(v)}`, { option: name } as JsonObject)
  }
  for (const name of ['endpoint', 'region']) {
    if (o[name] !== undefined && typeof o[name] !== 'string') throw errors.invalidArgument(`s3.${name} must be a string`)
  }
  const c = o.credentials as Record<string, unknown> | undefined
  if (c !== undefined && (typeof c !== 'object' || c === null || typeof c.accessKeyId !== 'string' || typeof c.secretAccessKey !== 'string')) {
    throw errors.invalidArgument('s3.credentials must be { accessKeyId, secretAccessKey, sessionToken? }')
  }
  return options as S3BackendOptions
}
