// Every conformance suite on S3: s3rver (a real S3-protocol server process) behind the test-only
// conditional-write gateway, which gives it the If-None-Match/If-Match semantics of AWS S3 that
// compare-and-set relies on. The backend suite also runs where deletes cannot be conditional (a
// bucket where the gateway ignores If-Match on DELETE, as R2 documents) and on plain s3rver in
// single-writer mode.
import { randomUUID } from 'node:crypto'
import { backendSuite, conformance } from '@omega/conformance'
import { R2_LIKE, s3Factory, s3Hooks, useS3TestServer } from './s3-fixture.js'

const current = useS3TestServer()
conformance('s3', { factory: s3Factory(current), ...s3Hooks(current) })
backendSuite('s3 without conditional deletes', {
  factory: (location) => s3Factory(current)(location ?? `s3://${R2_LIKE}/${randomUUID()}`),
  ...s3Hooks(current),
})
backendSuite('s3 single-writer on plain s3rver', {
  factory: (location) => s3Factory(() => ({ ...current(), s3Options: (extra) => ({ ...current().s3Options(extra), endpoint: current().plainEndpoint }) }), { singleWriter: true })(location),
  ...s3Hooks(current),
})
