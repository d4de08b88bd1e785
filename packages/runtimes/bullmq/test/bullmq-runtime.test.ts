// The bullmq runtime's own behaviour: what travels through Redis, labels, progress, scripts, and
// the errors of a wrong setup. Real redis-server, real worker processes, an fs store they share.
import { Queue } from 'bullmq'
import { Omega, OmegaError, type Progress } from '@omega/core'
import { RunningMean, TEST_PLUGIN_URL, tempDir } from '@omega/conformance'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisMissing, redisSuiteTitle, startRedis, startWorkerProcess, type RedisTestServer, type WorkerProcess } from './harness/redis-test-server.js'

const BULLMQ_PLUGIN = new URL('../dist/index.js', import.meta.url).href
const FS_PLUGIN = import.meta.resolve('@omega/fs')
// The pool's progress fixture (Stepper reports each step), reused by URL.
const STEPPER_PLUGIN = new URL('../../pool/test/fixtures/test-handlers-plugin.mjs', import.meta.url).href
const missing = redisMissing()

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<OmegaError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(OmegaError.is(err), `expected ${code}, got ${String(err)}`).toBe(true)
  expect((err as OmegaError).code).toBe(code)
  return err as OmegaError
}

describe.skipIf(missing !== undefined)(redisSuiteTitle('bullmq runtime', missing), () => {
  let redis: RedisTestServer
  let om: Omega
  const workers: WorkerProcess[] = []
  const dir = tempDir('omega-bullmq-')
  const store = `fs:${dir}`
  const plugins = [FS_PLUGIN, TEST_PLUGIN_URL, STEPPER_PLUGIN]
  beforeAll(async () => {
    redis = await startRedis()
    workers.push(await startWorkerProcess({ name: 'cpu-1', store, redis: redis.url, plugins }))
    workers.push(await startWorkerProcess({ name: 'gpu-1', store, redis: redis.url, plugins, labels: ['gpu'] }))
    om = await Omega.open({ plugins: [BULLMQ_PLUGIN, ...plugins], store, runtime: { type: 'bullmq', connection: redis.connection, pickupTimeoutMs: 1500, inlineBytes: 1024 } })
  }, 30_000)
  afterAll(async () => {
    await om?.close()
    await Promise.all(workers.map((w) => w.kill()))
    await redis?.stop()
  })

  it('inputs by dataset name travel as names; model bytes never travel; large inline inputs and results go through temporary objects, removed after', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => [i % 7, i % 3])
    await om.datasets.put(rows.map(([a, b]) => ({ a, b, y: 2 * a! + b! })), 'train')
    await om.models.put(new RunningMean(), 'mean')
    const fitted = await om.runtime.model('mean').fit('train[^y]', 'train[y]')
    expect(fitted.version).toBe(2)
    const byName = await om.runtime.model('mean').predict('train[^y]')
    const inline = await om.runtime.model('mean').predict(rows)
    expect(inline.toArray()).toEqual(byName.toArray())
    const queue = new Queue('omega', { connection: redis.connection })
    try {
      const jobs = await queue.getCompleted()
      const tasks = jobs.map((j) => j.data.task as { op: string; X?: unknown; Xref?: { name: string }; model: Record<string, unknown> })
      const fit = tasks.find((t) => t.op === 'fit')!
      expect(fit.Xref?.name).toMatch(/^train@\d+\[\^y\]$/)
      expect(fit.X).toBeUndefined()
      for (const t of tasks) expect(t.model.parts).toBeUndefined()
      // 400 rows × 2 float64 = 6400 bytes > inlineBytes (1024): a temporary object, not base64 in Redis.
      const big = tasks.find((t) => t.op === 'predict' && t.X !== undefined)!
      expect(JSON.stringify(big.X)).toContain('"$t"')
      // The fitted model comes back as temporary objects too: the caller commits it.
      const fitResult = JSON.stringify(jobs.find((j) => (j.data.task as { op: string }).op === 'fit')!.returnvalue)
      expect(fitResult).toContain('"$t"')
      expect(fitResult.length).toBeLessThan(1024)
    } finally {
      await queue.close()
    }
    // Every temporary object is gone: no orphan blob even with no grace period.
    const report = await om.fsck({ graceMs: 0 })
    expect(report.problems).toEqual([])
  })

  it('labels route to the workers that serve them; a label nobody serves is E_TIMEOUT naming it; pool and inline refuse labels', async () => {
    await om.models.put(new RunningMean().fit([[0]], [4]), 'routed')
    const before = workers[1]!.lines.length
    const y = await om.runtime.require({ label: 'gpu' }).model('routed').predict([[1]])
    expect(y.toArray()).toEqual([4])
    expect(workers[1]!.lines.slice(before).some((l) => l.startsWith('gpu-1 ran predict:routed@1'))).toBe(true)
    const started = Date.now()
    const err = await rejectsWith(om.runtime.require({ label: 'tpu' }).model('routed').predict([[1]]), 'E_TIMEOUT')
    expect(err.message).toContain('"tpu"')
    expect(Date.now() - started).toBeLessThan(5000)
    const timed = await rejectsWith(om.runtime.require({ label: 'tpu' }).model('routed').predict([[1]], { timeoutMs: 300 }), 'E_TIMEOUT')
    expect(timed.message).toContain('"tpu"')
    expect(() => om.runtime.require({ label: 'no spaces' })).toThrow(/label/)
    const inline = await Omega.open({ store: 'memory:', runtime: 'inline', plugins: [TEST_PLUGIN_URL] })
    await inline.models.put(new RunningMean().fit([[0]], [1]), 'm')
    await rejectsWith(inline.runtime.require({ label: 'gpu' }).model('m').predict([[1]]), 'E_UNSUPPORTED')
    await inline.close()
  })

  it('progress reported on the worker reaches onProgress, the last one always, none after the call', async () => {
    const { Stepper } = (await import(STEPPER_PLUGIN)) as { Stepper: new (steps: number, stepMs: number) => object }
    await om.models.put(new Stepper(30, 10), 'stepper')
    const seen: Progress[] = []
    const meta = await om.runtime.model('stepper').fit([[1], [2]], [1, 2], { onProgress: (p) => seen.push(p) })
    expect(meta.version).toBe(2)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.at(-1)).toMatchObject({ done: 30, total: 30 })
    const count = seen.length
    await new Promise((r) => setTimeout(r, 200))
    expect(seen).toHaveLength(count)
  })

  it('a script runs on a worker with an om on the shared store, and its errors keep their codes', async () => {
    const path = join(tempDir('omega-bullmq-script-'), 'count.mjs')
    writeFileSync(path, `export async function run(om, args) {
      const meta = await om.datasets.put([{ v: args.n }, { v: args.n + 1 }], 'from-script')
      if (args.fail) await om.datasets.get('no-such-dataset')
      return { rows: meta.kindMeta.rows, pid: process.pid }
    }\n`)
    await om.scripts.put({ path }, 'count')
    const run = await om.runtime.script('count').run({ n: 5 })
    expect((run.result as { rows: number }).rows).toBe(2)
    expect((run.result as { pid: number }).pid).not.toBe(process.pid)
    expect(((await om.datasets.get('from-script')) as { numRows: number }).numRows).toBe(2)
    await rejectsWith(om.runtime.script('count').run({ n: 1, fail: true }), 'E_NOT_FOUND')
    const gpu = await om.runtime.require({ label: 'gpu' }).script('count').run({ n: 1 })
    expect((gpu.result as { rows: number }).rows).toBe(2)
  })

  it('an embedded store is E_UNSUPPORTED; Redis down at open is E_BACKEND naming the address', async () => {
    await rejectsWith(Omega.open({ store: 'memory:', plugins: [BULLMQ_PLUGIN], runtime: { type: 'bullmq', connection: redis.connection } }), 'E_UNSUPPORTED')
    const started = Date.now()
    const err = await rejectsWith(
      Omega.open({ store: `fs:${tempDir('omega-bullmq-down-')}`, plugins: [BULLMQ_PLUGIN, FS_PLUGIN], runtime: { type: 'bullmq', connection: { host: '127.0.0.1', port: 1 }, connectTimeoutMs: 1000 } }),
      'E_BACKEND',
    )
    expect(err.message).toContain('127.0.0.1:1')
    expect(Date.now() - started).toBeLessThan(5000)
    await rejectsWith(Omega.open({ store: 'memory:', plugins: [BULLMQ_PLUGIN], runtime: { type: 'nope' } }), 'E_UNSUPPORTED')
  })
})
