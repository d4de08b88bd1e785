// The runtime conformance suite on the bullmq runtime: an fs store in a temp dir shared by this
// process and two worker processes, through a real redis-server.
import { Omega } from '@omega/core'
import { TEST_PLUGIN_URL, runtimeSuite, tempDir } from '@omega/conformance'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { redisMissing, redisSuiteTitle, startRedis, startWorkerProcess, type RedisTestServer, type WorkerProcess } from './harness/redis-test-server.js'

const BULLMQ_PLUGIN = new URL('../dist/index.js', import.meta.url).href
const FS_PLUGIN = import.meta.resolve('@omega/fs')
const missing = redisMissing()

describe.skipIf(missing !== undefined)(redisSuiteTitle('bullmq runtime conformance', missing), () => {
  let redis: RedisTestServer
  const workers: WorkerProcess[] = []
  const dir = tempDir('omega-bullmq-')
  const store = `fs:${dir}`
  beforeAll(async () => {
    redis = await startRedis()
    for (const name of ['w1', 'w2']) {
      workers.push(await startWorkerProcess({ name, store, redis: redis.url, plugins: [FS_PLUGIN, TEST_PLUGIN_URL], concurrency: 2 }))
    }
  }, 30_000)
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()))
    await redis?.stop()
  })
  runtimeSuite('bullmq', {
    open: (options) =>
      Omega.open({
        ...options,
        plugins: [FS_PLUGIN, BULLMQ_PLUGIN, ...(options.plugins ?? [])],
        store,
        runtime: { type: 'bullmq', connection: redis.connection, queue: 'omega' },
      }),
    threads: false,
  })
})
