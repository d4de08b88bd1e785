// `omega worker`, the real binary, serving the bullmq runtime of an @omega/omega instance over a
// real redis-server and an fs store they share; SIGTERM stops it cleanly.
import { DecisionTreeClassifier, Omega } from '@omega/omega'
import { tempDir } from '@omega/conformance'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisMissing, redisSuiteTitle, startRedis, type RedisTestServer } from '../../runtimes/bullmq/test/harness/redis-test-server.js'
import { omega, startOmega } from './omega-binary.js'

const missing = redisMissing()

describe.skipIf(missing !== undefined)(redisSuiteTitle('omega worker', missing), () => {
  let redis: RedisTestServer
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('serves fit and predict of a caller on the shared store, logs one line per task with --verbose, and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
    const store = `fs:${tempDir('omega-cli-worker-')}`
    const worker = startOmega(['worker', '--store', store, '--redis', redis.url, '--labels', 'gpu', '--verbose'])
    while (!worker.output.stdout.includes('serving')) {
      if (worker.child.exitCode !== null) throw new Error(`omega worker exited: ${worker.output.stderr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(worker.output.stdout).toMatch(/worker \S+ serving omega, omega\.gpu on fs:/)
    const om = await Omega.open({ store, runtime: { type: 'bullmq', connection: redis.connection } })
    try {
      await om.models.put(new DecisionTreeClassifier(), 'tree')
      const meta = await om.runtime.require({ label: 'gpu' }).model('tree').fit(Array.from({ length: 40 }, (_, i) => [i % 2, (i >> 1) % 2]), Array.from({ length: 40 }, (_, i) => i % 2))
      expect(meta.version).toBe(2)
      const y = await om.runtime.model('tree').predict([[1, 1], [0, 0]])
      // The same answer as this process computes from the same stored version.
      const here = await Omega.open({ store, runtime: 'inline' })
      expect(y.toArray()).toEqual((await here.runtime.model('tree@2').predict([[1, 1], [0, 0]])).toArray())
      await here.close()
    } finally {
      await om.close()
    }
    expect(worker.output.stdout).toMatch(/ran fit:tree@1 \(job \S+, queue omega\.gpu\) in \d+ ms: ok/)
    expect(worker.output.stdout).toMatch(/ran predict:tree@2 \(job \S+, queue omega\) in \d+ ms: ok/)
    worker.child.kill('SIGTERM')
    const ran = await worker.done
    expect(ran.code).toBe(0)
  })

  it('without --redis it is a usage error; with Redis away it is E_BACKEND naming the address', async () => {
    expect((await omega(['worker', '--store', 'fs:/tmp/x'])).stderr).toMatch(/--redis/)
    const down = await omega(['--json', 'worker', '--store', `fs:${tempDir('omega-cli-worker-')}`, '--redis', 'redis://127.0.0.1:1'])
    expect(down.code).not.toBe(0)
    expect(down.stderr).toMatch(/E_BACKEND/)
    expect(down.stderr).toMatch(/127\.0\.0\.1:1/)
  })
})
