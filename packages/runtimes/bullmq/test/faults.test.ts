// Faults with real processes: a worker SIGKILLed mid-task (its task is retried on another worker,
// at most maxStalledCount times, then E_WORKER), and redis-server killed and restarted (calls fail
// with E_BACKEND or complete, none hangs; clients and workers reconnect). The store stays consistent.
import { Omega, OmegaError } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisMissing, redisSuiteTitle, startRedis, startWorkerProcess, type RedisTestServer, type WorkerProcess } from './harness/redis-test-server.js'

const BULLMQ_PLUGIN = new URL('../dist/index.js', import.meta.url).href
const FS_PLUGIN = import.meta.resolve('@omega/fs')
const SLEEPER_PLUGIN = new URL('./fixtures/sleeper-plugin.mjs', import.meta.url).href
const missing = redisMissing()

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.skipIf(missing !== undefined)(redisSuiteTitle('bullmq faults', missing), () => {
  let redis: RedisTestServer
  let om: Omega
  const workers: WorkerProcess[] = []
  const dir = tempDir('omega-bullmq-faults-')
  const store = `fs:${dir}`
  const plugins = [FS_PLUGIN, SLEEPER_PLUGIN]
  let n = 0
  const worker = async (): Promise<WorkerProcess> => {
    const w = await startWorkerProcess({ name: `w${++n}`, store, redis: redis.url, plugins, lockDurationMs: 1500, maxStalledCount: 1 })
    workers.push(w)
    return w
  }
  /** The live worker whose log shows it started `op`. */
  const runner = (op: string): Promise<WorkerProcess> =>
    until(`a worker to start ${op}`, () => workers.find((w) => w.process.exitCode === null && w.process.signalCode === null && w.lines.some((l) => l.startsWith(`${op}-start`))))
  let Sleeper: new (ms: number) => object
  beforeAll(async () => {
    Sleeper = ((await import(SLEEPER_PLUGIN)) as { Sleeper: typeof Sleeper }).Sleeper
    redis = await startRedis()
    om = await Omega.open({ plugins: [BULLMQ_PLUGIN, ...plugins], store, runtime: { type: 'bullmq', connection: redis.connection, unreachableMs: 4000 } })
  }, 30_000)
  afterAll(async () => {
    await om?.close({ abortRunning: true })
    await Promise.all(workers.map((w) => w.kill('SIGKILL')))
    await redis?.stop()
  })

  it('a worker killed mid-fit: the fit is retried on another worker and stores exactly one version', { timeout: 30_000 }, async () => {
    await worker()
    await worker()
    await om.models.put(new Sleeper(1500), 'slow')
    const fit = om.runtime.model('slow').fit([[1]], [1])
    const first = await runner('fit')
    await first.kill('SIGKILL')
    const meta = await fit
    expect(meta.version).toBe(2)
    expect(await om.models.revisions('slow')).toHaveLength(2)
    expect((await om.fsck()).problems).toEqual([])
  })

  it('killed on every worker that takes it, more often than maxStalledCount: E_WORKER, nothing stored', { timeout: 30_000 }, async () => {
    for (const w of workers) w.lines.length = 0
    const fit = om.runtime.model('slow').fit([[1]], [1])
    const failed = fit.then(() => undefined, (e: unknown) => e)
    await (await runner('fit')).kill('SIGKILL')
    const second = await worker()
    await until('the retry', () => (second.lines.some((l) => l.startsWith('fit-start')) ? true : undefined))
    await second.kill('SIGKILL')
    // A live worker's stalled-job check fails the job now.
    await worker()
    const err = await failed
    expect(OmegaError.is(err) && err.code).toBe('E_WORKER')
    expect((err as OmegaError).message).toMatch(/stalled/)
    expect(await om.models.revisions('slow')).toHaveLength(2)
    expect((await om.fsck()).problems).toEqual([])
  })

  it('Redis killed and restarted: the running call and a call while it is down fail with E_BACKEND in bounded time, later calls work again', { timeout: 40_000 }, async () => {
    for (const w of workers) w.lines.length = 0
    await om.models.put(new Sleeper(2000), 'long')
    const started = Date.now()
    const fit = om.runtime.model('long').fit([[1]], [1]).then(() => undefined, (e: unknown) => e)
    await runner('fit')
    await redis.kill()
    // A call while Redis is down fails at once, naming the address.
    const down = await om.runtime.model('long@1').predict([[1]]).then(() => undefined, (e: unknown) => e)
    expect(OmegaError.is(down) && down.code).toBe('E_BACKEND')
    expect((down as OmegaError).message).toContain(`127.0.0.1:${redis.port}`)
    await redis.restart()
    const err = await fit
    expect(OmegaError.is(err) && err.code).toBe('E_BACKEND')
    expect((err as OmegaError).message).toContain(`127.0.0.1:${redis.port}`)
    expect(Date.now() - started).toBeLessThan(20_000)
    // Clients and workers reconnect by themselves.
    await om.models.put(new Sleeper(10), 'quick')
    const y = await om.runtime.model('quick').predict([[1], [2]], { timeoutMs: 15_000 })
    expect(y.toArray()).toEqual([0, 0])
    expect(await om.models.revisions('long')).toHaveLength(1)
  })
})
