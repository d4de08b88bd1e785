// The S3 test server process: s3rver 3.7.1 on 127.0.0.1, and the test-only conditional-write
// gateway (conditional-gateway.mjs) in front of it. Started by s3-test-server.ts as
// `node --openssl-legacy-provider server-process.mjs <json>` (s3rver's truncated listings need the
// legacy provider); prints {"plainPort","gatewayPort"} once both listen.
import { unlink } from 'node:fs/promises'
import S3rver from 's3rver'
import FilesystemStore from 's3rver/lib/stores/filesystem.js'
import { startGateway } from './conditional-gateway.mjs'

// s3rver's deleteObject removes directories it leaves empty, racing a concurrent PUT into the same
// directory (mkdirp, then open): the PUT's write stream fails with ENOENT on an unhandled 'error'
// event and the whole server process dies (seen in CI with the backend's tmp/ objects). Real S3 has
// no directories; here empty ones are simply left (listings walk files, not directories).
FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((type) =>
      unlink(this.getResourcePath(bucket, key, type)).catch((err) => {
        if (err.code !== 'ENOENT') throw err
      }),
    ),
  )
}

const { directory, plainPort = 0, gatewayPort = 0, buckets = [], unconditionalDeleteBuckets = [] } = JSON.parse(process.argv[2])
const s3rver = new S3rver({ address: '127.0.0.1', port: plainPort, directory, silent: true, configureBuckets: buckets.map((name) => ({ name })) })
const address = await s3rver.run()
const gateway = await startGateway({ port: gatewayPort, upstreamPort: address.port, directory, unconditionalDeleteBuckets })
process.stdout.write(`${JSON.stringify({ plainPort: address.port, gatewayPort: gateway.address().port })}\n`)
process.on('SIGTERM', () => process.exit(0))
