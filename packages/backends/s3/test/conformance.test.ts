// Every conformance suite on S3: s3rver (a real S3-protocol server process) behind the test-only
// conditional-write gateway, which gives it the If-None-Match/If-Match semantics of AWS S3 that
// compare-and-set relies on. The backend suite also runs where deletes cannot be conditional (a
// bucket where the gateway ignores If-Match on DELETE, as R2 documents) and on plain s3rver in
// single-writer mode.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { backendSuite, conformance } from '@omega/conformance'
import { startS3TestServer, type S3TestServer } from './harness/s3-test-server.js'
import { BUCKET, s3Factory, s3Hooks } from './s3-fixture.js'

let server: S3TestServer
beforeAll(async () => {
  server = await startS3TestServer({ buckets: [BUCKET, R2_LIKE], unconditionalDeleteBuckets: [R2_LIKE] })
}, 60_000)
afterAll(async () => await server?.stop())

const R2_LIKE = 'omega-test-no-conditional-delete'
const current = (): S3TestServer => server
conformance('s3', { factory: s3Factory(current), ...s3Hooks(current) })
backendSuite('s3 without conditional deletes', {
  factory: (location) => s3Factory(current)(location ?? `s3://${R2_LIKE}/${randomUUID()}`),
  ...s3Hooks(current),
})
backendSuite('s3 single-writer on plain s3rver', {
  factory: (location) => s3Factory(() => ({ ...server, s3Options: (extra) => ({ ...server.s3Options(extra), endpoint: server.plainEndpoint }) }), { singleWriter: true })(location),
  ...s3Hooks(current),
})
