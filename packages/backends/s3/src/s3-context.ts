import type { S3Client } from '@aws-sdk/client-s3'
import { s3Error, type S3Place } from './s3-errors.js'

/** What the blob, metadata and scratch halves share: the client, the bucket and the key layout. */
export class S3Context {
  #client: S3Client | undefined

  constructor(
    readonly makeClient: () => S3Client,
    readonly place: S3Place,
  ) {}

  /** The client: made on first use after open, destroyed (sockets closed) by {@link release}. */
  get client(): S3Client {
    this.#client ??= this.makeClient()
    return this.#client
  }

  release(): void {
    this.#client?.destroy()
    this.#client = undefined
  }

  get bucket(): string {
    return this.place.bucket
  }

  /** The store's key prefix with its trailing `/` ('' for a whole bucket). */
  get root(): string {
    return this.place.prefix ? `${this.place.prefix}/` : ''
  }

  blobKey(sha256: string): string {
    return `${this.root}blobs/${sha256}`
  }

  get blobPrefix(): string {
    return `${this.root}blobs/`
  }

  get metaPrefix(): string {
    return `${this.root}meta/`
  }

  get tmpPrefix(): string {
    return `${this.root}tmp/`
  }

  /**
   * Sends one command; any failure becomes an OmegaError naming the operation (see s3Error).
   * Transient failures were already retried by the client's retry strategy.
   */
  async send<T>(op: string, command: object, signal?: AbortSignal): Promise<T> {
    try {
      return (await this.client.send(command as never, signal ? { abortSignal: signal } : undefined)) as T
    } catch (err) {
      throw s3Error(this.place, op, err, signal)
    }
  }

  /** Like {@link send}, but returns the raw SDK error for the caller to interpret (conditional writes, missing keys). */
  async attempt<T>(command: object, signal?: AbortSignal): Promise<{ ok: T } | { err: unknown }> {
    try {
      return { ok: (await this.client.send(command as never, signal ? { abortSignal: signal } : undefined)) as T }
    } catch (err) {
      return { err }
    }
  }
}
