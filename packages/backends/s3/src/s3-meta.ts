import { randomUUID } from 'node:crypto'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type GetObjectCommandOutput, type PutObjectCommandOutput } from '@aws-sdk/client-s3'
import { OmegaError, errors, throwIfAborted, type CasOptions, type JsonObject, type ListDocsOptions, type MetadataStore, type StoredDoc } from '@omega/core'
import { listObjects } from './s3-blobs.js'
import type { S3Context } from './s3-context.js'
import { isConditionalConflict, isMissing, isPreconditionFailed, s3Error } from './s3-errors.js'
import { DOC_SUFFIX, decodeMetaKey, encodeMetaKey, metaListPrefix } from './meta-key.js'

/** Re-reads of a document that does not parse before it is reported unreadable (see get). */
const TORN_READ_RETRIES = 2

/**
 * How compare-and-set is enforced: by the server's conditional writes (`If-None-Match: *`,
 * `If-Match: <etag>`, and `If-Match` on DELETE where it honours that too), or, for a store only
 * one process writes (`singleWriter`), by a lock per key inside this process.
 */
export interface CasMode {
  readonly conditional: boolean
  /** The server honours If-Match on DELETE; otherwise a delete overwrites the document with a tombstone (conditionally). */
  readonly conditionalDelete: boolean
}

/** What is stored per document: its key (hashed object keys do not reveal it), a nonce and the document. */
interface StoredBody {
  readonly key: string
  /** Unique per write, so that two writes of the same document still get different ETags. */
  readonly rev: string
  readonly doc?: JsonObject
  /** Set on a deleted document where the server cannot delete conditionally. */
  readonly deleted?: true
}

/** 409 ConditionalRequestConflict retries: a few, with jitter (AWS: "retry the request"). */
const CONFLICT_RETRIES = 8

/**
 * Metadata documents as small JSON objects at `<prefix>/meta/<encoded key>.json`; the object's
 * ETag is the revision. Creates use `If-None-Match: *`, updates `If-Match: <etag>`, so of any
 * number of writers with the same revision exactly one wins, across processes and machines.
 */
export class S3Meta implements MetadataStore {
  readonly #locks = new Map<string, Promise<void>>()

  constructor(
    readonly ctx: S3Context,
    readonly mode: CasMode,
  ) {}

  /** The object that holds the document under `key`. */
  objectKey(key: string): string {
    return `${this.ctx.metaPrefix}${encodeMetaKey(key)}${DOC_SUFFIX}`
  }

  async get(key: string): Promise<StoredDoc | undefined> {
    let found = await this.#read(this.objectKey(key), key)
    // S3 replaces objects atomically, but some S3-compatible servers rewrite a file in place, so a
    // read racing a write can see it torn: read again before calling the document unreadable.
    for (let retry = 0; retry < TORN_READ_RETRIES && found?.unreadable !== undefined; retry++) {
      await new Promise((resolve) => setTimeout(resolve, 20 * (retry + 1)))
      found = await this.#read(this.objectKey(key), key)
    }
    if (!found || found.body?.deleted) return undefined
    if (found.unreadable !== undefined) throw errors.unreadableDocument(key, found.unreadable)
    return { key, doc: found.body!.doc ?? {}, revision: found.etag }
  }

  /** The stored object: its ETag and parsed body (or why it cannot be parsed); undefined if absent. */
  async #read(objectKey: string, key: string, signal?: AbortSignal): Promise<{ etag: string; body?: StoredBody; unreadable?: string } | undefined> {
    const got = await this.ctx.attempt<GetObjectCommandOutput>(new GetObjectCommand({ Bucket: this.ctx.bucket, Key: objectKey }), signal)
    if ('err' in got) {
      if (isMissing(got.err)) return undefined
      throw s3Error(this.ctx.place, `read metadata "${key}"`, got.err, signal)
    }
    const etag = got.ok.ETag ?? ''
    const text = await got.ok.Body!.transformToString('utf8')
    try {
      const body = JSON.parse(text) as StoredBody
      if (typeof body !== 'object' || body === null || typeof body.key !== 'string') return { etag, unreadable: 'not an omega metadata document' }
      return { etag, body }
    } catch (err) {
      return { etag, unreadable: `invalid JSON: ${(err as Error).message}` }
    }
  }

  async put(key: string, doc: JsonObject, options: CasOptions): Promise<string> {
    const body: StoredBody = { key, rev: randomUUID(), doc }
    if (!this.mode.conditional) {
      return await this.#locked(key, async () => {
        const current = await this.#read(this.objectKey(key), key)
        const revision = current && !current.body?.deleted ? current.etag : null
        if (revision !== options.ifRevision) throw errors.conflict(key)
        return await this.#write(key, body, {})
      })
    }
    if (options.ifRevision !== null) return await this.#write(key, body, { IfMatch: options.ifRevision })
    try {
      return await this.#write(key, body, { IfNoneMatch: '*' })
    } catch (err) {
      // A tombstone left where deletes cannot be conditional counts as absent: replace exactly it.
      const current = OmegaError.is(err, 'E_CONFLICT') ? await this.#read(this.objectKey(key), key) : undefined
      if (current?.body?.deleted) return await this.#write(key, body, { IfMatch: current.etag })
      throw err
    }
  }

  /** PUTs a body under a condition; E_CONFLICT when it does not hold. Returns the new ETag. */
  async #write(key: string, body: StoredBody, condition: { IfMatch?: string; IfNoneMatch?: string }): Promise<string> {
    const text = JSON.stringify(body)
    for (let attempt = 0; ; attempt++) {
      const put = await this.ctx.attempt<PutObjectCommandOutput>(
        new PutObjectCommand({ Bucket: this.ctx.bucket, Key: this.objectKey(key), Body: text, ContentType: 'application/json', ...condition }),
      )
      if ('ok' in put) return put.ok.ETag!
      const err = put.err
      if (isPreconditionFailed(err) || (condition.IfMatch !== undefined && isMissing(err))) throw errors.conflict(key)
      if (isConditionalConflict(err) && attempt < CONFLICT_RETRIES) {
        await jitter(attempt)
        continue
      }
      throw s3Error(this.ctx.place, `write metadata "${key}"`, err)
    }
  }

  async delete(key: string, options: { readonly ifRevision: string }): Promise<void> {
    const objectKey = this.objectKey(key)
    if (!this.mode.conditional) {
      await this.#locked(key, async () => {
        const current = await this.#read(objectKey, key)
        if (!current || current.body?.deleted) throw errors.notFound('document', key)
        if (current.etag !== options.ifRevision) throw errors.conflict(key)
        await this.ctx.send(`delete metadata "${key}"`, new DeleteObjectCommand({ Bucket: this.ctx.bucket, Key: objectKey }))
      })
      return
    }
    try {
      if (this.mode.conditionalDelete) await this.#conditionalDelete(key, objectKey, options.ifRevision)
      else await this.#write(key, { key, rev: randomUUID(), deleted: true }, { IfMatch: options.ifRevision })
    } catch (err) {
      if (!OmegaError.is(err, 'E_CONFLICT')) throw err
      const current = await this.#read(objectKey, key)
      if (!current || current.body?.deleted) throw errors.notFound('document', key)
      throw err
    }
  }

  async #conditionalDelete(key: string, objectKey: string, etag: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.ctx.attempt(new DeleteObjectCommand({ Bucket: this.ctx.bucket, Key: objectKey, IfMatch: etag }))
      if ('ok' in res) return
      if (isPreconditionFailed(res.err) || isMissing(res.err)) throw errors.conflict(key)
      if (isConditionalConflict(res.err) && attempt < CONFLICT_RETRIES) {
        await jitter(attempt)
        continue
      }
      throw s3Error(this.ctx.place, `delete metadata "${key}"`, res.err)
    }
  }

  async *list(prefix: string, options: ListDocsOptions = {}): AsyncIterable<StoredDoc> {
    const signal = options.signal
    const base = this.ctx.metaPrefix
    const found: { key: string | undefined; objectKey: string }[] = []
    for await (const object of listObjects(this.ctx, base + metaListPrefix(prefix), signal)) {
      const objectKey = object.Key!
      if (!objectKey.endsWith(DOC_SUFFIX)) continue
      const key = decodeMetaKey(objectKey.slice(base.length, -DOC_SUFFIX.length))
      if (key === undefined || key.startsWith(prefix)) found.push({ key, objectKey })
    }
    // Hashed keys are known only from their documents: read those first to sort them in.
    const entries = await Promise.all(
      found.map(async (f) => {
        if (f.key !== undefined) return { key: f.key, objectKey: f.objectKey, read: undefined }
        const read = await this.#read(f.objectKey, f.objectKey, signal)
        return { key: read?.body?.key ?? f.objectKey, objectKey: f.objectKey, read }
      }),
    )
    const wanted = entries.filter((e) => e.read === undefined || e.key.startsWith(prefix) || e.read.unreadable !== undefined)
    wanted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    if (options.reverse) wanted.reverse()
    let yielded = 0
    // Documents are fetched ahead of the consumer in a window that starts at one (the latest
    // version is usually all a caller wants) and grows fourfold while it keeps reading.
    let window = Math.min(options.limit ?? 1, 32)
    for (let i = 0; i < wanted.length; ) {
      const batch = wanted.slice(i, i + window)
      const reads = await Promise.all(batch.map((e) => (e.read !== undefined ? e.read : this.#read(e.objectKey, e.key, signal))))
      for (let j = 0; j < batch.length; j++) {
        if (options.limit !== undefined && yielded >= options.limit) return
        throwIfAborted(signal)
        const read = reads[j]
        const entry = batch[j]!
        if (!read || read.body?.deleted) continue
        yielded++
        if (read.unreadable !== undefined) yield { key: entry.key, doc: {}, revision: '', unreadable: read.unreadable }
        else yield { key: entry.key, doc: read.body!.doc ?? {}, revision: read.etag }
      }
      i += batch.length
      window = Math.min(window * 4, 32)
    }
  }

  /** Runs `fn` while holding this process's lock on `key` (single-writer mode). */
  async #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => (release = resolve))
    const chained = previous.then(() => mine)
    this.#locks.set(key, chained)
    await previous
    try {
      return await fn()
    } finally {
      release()
      if (this.#locks.get(key) === chained) this.#locks.delete(key)
    }
  }
}

async function jitter(attempt: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 20 * 2 ** attempt)))
}
