// What the S3 test files share: one S3 test server per file, and hooks that tamper with stored
// objects the way a faulty disk or a killed writer would (through S3, or s3rver's files for ages).
import { randomUUID } from 'node:crypto'
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import type { StorageBackend } from '@omega/core'
import type { BackendSuiteOptions } from '@omega/conformance'
import { S3Backend, type S3BackendOptions } from '@omega/s3'
import { afterAll, beforeAll } from 'vitest'
import { startS3TestServer, type S3TestServer } from './harness/s3-test-server.js'

export const BUCKET = 'omega-test'
/** A bucket where the gateway honours conditional writes but not conditional deletes (as R2 documents). */
export const R2_LIKE = 'omega-test-no-conditional-delete'

/**
 * Starts this file's S3 test server (both buckets) before its tests and stops it after; returns
 * the running server, to be called from inside tests.
 */
export function useS3TestServer(): () => S3TestServer {
  let server: S3TestServer | undefined
  beforeAll(async () => {
    server = await startS3TestServer({ buckets: [BUCKET, R2_LIKE], unconditionalDeleteBuckets: [R2_LIKE] })
  }, 60_000)
  afterAll(async () => await server?.stop())
  return () => {
    if (!server) throw new Error('the S3 test server is not running (useS3TestServer() must be called at the top of a test file)')
    return server
  }
}
const KiB = 1024

/** Small multipart settings, so that the suites' 10 MB blobs cross the threshold. */
export const SMALL_PARTS = { multipartThreshold: 1024 * KiB, partSize: 256 * KiB }

/** A fresh store under a new prefix of the test bucket (or at `location`). */
export function s3Factory(server: () => S3TestServer, extra: S3BackendOptions = {}): (location?: string) => S3Backend {
  return (location) => new S3Backend(location ?? `s3://${BUCKET}/${randomUUID()}`, server().s3Options({ ...SMALL_PARTS, ...extra }) as S3BackendOptions)
}

async function getBytes(b: S3Backend, key: string): Promise<Uint8Array> {
  const got = await b.client.send(new GetObjectCommand({ Bucket: b.bucket, Key: key }))
  return await got.Body!.transformToByteArray()
}

async function putBytes(b: S3Backend, key: string, body: Uint8Array): Promise<void> {
  await b.client.send(new PutObjectCommand({ Bucket: b.bucket, Key: key, Body: body }))
}

/** The conformance hooks for S3 stores of `server`. */
export function s3Hooks(server: () => S3TestServer): Omit<BackendSuiteOptions, 'factory'> {
  return {
    tamper: async (backend: StorageBackend, sha256: string, offset = 0) => {
      const b = backend as S3Backend
      const bytes = await getBytes(b, b.blobObjectKey(sha256))
      bytes[offset] = bytes[offset]! ^ 0xff
      await putBytes(b, b.blobObjectKey(sha256), bytes)
    },
    corruptDocument: async (backend: StorageBackend, key: string) => {
      const b = backend as S3Backend
      const bytes = await getBytes(b, b.docObjectKey(key))
      await putBytes(b, b.docObjectKey(key), bytes.subarray(0, Math.floor(bytes.byteLength / 2)))
    },
    leaveTemp: async (backend: StorageBackend, modifiedAt: number) => {
      const b = backend as S3Backend
      const key = `${b.location.slice(`s3://${b.bucket}/`.length)}/tmp/killed-${randomUUID()}`
      await putBytes(b, key, new Uint8Array(1000))
      // S3 sets LastModified itself; s3rver takes it from the file's mtime.
      const file = join(server().directory, b.bucket, `${key}._S3rver_object`)
      await utimes(file, modifiedAt / 1000, modifiedAt / 1000)
    },
  }
}
