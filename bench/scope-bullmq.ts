// Scale-out on BullMQ: throughput of small predicts with 1, 2 and 4 worker processes, the p50 round
// trip of one predict against the pool runtime and against a raw BullMQ no-op job (the floor), a
// fit of the breast-cancer forest through bullmq vs pool, and Redis round trips and bytes per task
// (INFO commandstats / stats deltas) for the paper model of N hosts. Needs redis-server.
import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { Queue, QueueEvents, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { BUILTINS_URL, Omega, RandomForestClassifier } from '@omega/omega'
import { redisMissing, startRedis, startWorkerProcess, type RedisTestServer, type WorkerProcess } from '../packages/runtimes/bullmq/test/harness/redis-test-server.js'
import { loadIris } from './data.js'
import { ms, p50, printTable, ratio, type Row } from './stats.js'
import { benchDir } from './temp-dir.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const TASKS = Number(process.env.BENCH_N ?? 300)
const IN_FLIGHT = 32

function breastCancer(): { X: number[][]; y: number[] } {
  const [header, ...body] = parse(readFileSync(new URL('../fixtures/datasets/breast_cancer.csv', import.meta.url)), { cast: true }) as [string[], ...number[][]]
  const t = header.indexOf('target')
  return { X: body.map((r) => r.filter((_, j) => j !== t)), y: body.map((r) => r[t]!) }
}

function spread(values: number[], fmt: (v: number) => string): string {
  return `${fmt(p50(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`
}

/** Commands and network bytes Redis served, from INFO. */
async function redisCounters(redis: Redis): Promise<{ calls: number; bytes: number }> {
  const info = `${await redis.info('commandstats')}\n${await redis.info('stats')}`
  const calls = [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
  const num = (key: string): number => Number(new RegExp(`^${key}:(\\d+)`, 'm').exec(info)?.[1] ?? 0)
  return { calls, bytes: num('total_net_input_bytes') + num('total_net_output_bytes') }
}

async function throughput(om: Omega, x: number[][]): Promise<number> {
  let next = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next++ < TASKS) await om.runtime.model('rf').predict(x)
  }))
  return TASKS / ((performance.now() - t0) / 1000)
}

async function roundTrips(om: Omega, x: number[][], n: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n + 20; i++) {
    const t0 = performance.now()
    await om.runtime.model('rf').predict(x)
    if (i >= 20) out.push(performance.now() - t0)
  }
  return out
}

async function rawFloor(redis: RedisTestServer, n: number): Promise<number[]> {
  const connection = redis.connection
  const queue = new Queue('raw-floor', { connection })
  const events = new QueueEvents('raw-floor', { connection })
  const worker = new Worker('raw-floor', async () => 1, { connection: { ...connection, maxRetriesPerRequest: null } })
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()])
  const out: number[] = []
  for (let i = 0; i < n + 20; i++) {
    const t0 = performance.now()
    const job = await queue.add('noop', { i }, { removeOnComplete: { count: 100 } })
    await job.waitUntilFinished(events)
    if (i >= 20) out.push(performance.now() - t0)
  }
  await Promise.all([worker.close(), events.close(), queue.close()])
  return out
}

export async function bullmqScope(): Promise<Row[]> {
  const why = redisMissing()
  if (why) {
    console.log(`bullmq scope skipped: ${why}`)
    return []
  }
  const redis = await startRedis()
  const dir = benchDir('bench-bullmq-')
  const store = `fs:${dir}`
  const workers: WorkerProcess[] = []
  const info = new Redis(redis.connection)
  const rows: Row[] = []
  try {
    const { X, y } = loadIris()
    const rf = new RandomForestClassifier({ nEstimators: 10, seed: 1, noOOB: true })
    const bullmq = await Omega.open({ store, runtime: { type: 'bullmq', connection: redis.connection } })
    const pool = await Omega.open({ store: `fs:${benchDir('bench-bullmq-pool-')}`, runtime: 'pool', threads: 2 })
    workers.push(await startWorkerProcess({ name: 'w1', store, redis: redis.url, plugins: [BUILTINS_URL] }))
    for (const om of [bullmq, pool]) {
      await om.models.put(rf, 'rf')
      await om.runtime.model('rf').fit(X, y)
    }
    const one = [X[3]!]
    // Throughput with 1, 2, 4 worker processes (each concurrency 1); the caller, Redis and the workers share 2 cores.
    const rates: Record<number, number[]> = {}
    for (const count of [1, 2, 4]) {
      while (workers.length < count) workers.push(await startWorkerProcess({ name: `w${workers.length + 1}`, store, redis: redis.url, plugins: [BUILTINS_URL] }))
      await throughput(bullmq, one)
      rates[count] = []
      for (let r = 0; r < RUNS; r++) rates[count]!.push(await throughput(bullmq, one))
    }
    const poolRates: number[] = []
    await throughput(pool, one)
    for (let r = 0; r < RUNS; r++) poolRates.push(await throughput(pool, one))
    for (const count of [1, 2, 4]) {
      rows.push({ measure: `predict 1 row, ${IN_FLIGHT} in flight: tasks/s`, runtime: `bullmq, ${count} worker process${count > 1 ? 'es' : ''}`, 'median (min–max)': spread(rates[count]!, (v) => v.toFixed(0)), 'vs pool': ratio(p50(rates[count]!), p50(poolRates)) })
    }
    rows.push({ measure: `predict 1 row, ${IN_FLIGHT} in flight: tasks/s`, runtime: 'pool, 2 threads', 'median (min–max)': spread(poolRates, (v) => v.toFixed(0)), 'vs pool': '1.00×' })
    // Round trips and bytes per task, from Redis's own counters (4 workers idle-polling add a little).
    const before = await redisCounters(info)
    await throughput(bullmq, one)
    const after = await redisCounters(info)
    // The two INFO calls themselves are not the tasks'.
    after.calls -= 2
    rows.push({ measure: 'Redis commands per predict (INFO commandstats)', runtime: 'bullmq', 'median (min–max)': ((after.calls - before.calls) / TASKS).toFixed(1), 'vs pool': '' })
    rows.push({ measure: 'Redis bytes per predict (in + out)', runtime: 'bullmq', 'median (min–max)': ((after.bytes - before.bytes) / TASKS).toFixed(0), 'vs pool': '' })
    // p50 round trip of one predict, one at a time.
    while (workers.length > 1) await workers.pop()!.kill()
    const bull = await roundTrips(bullmq, one, 200)
    const poolTrip = await roundTrips(pool, one, 200)
    const floor = await rawFloor(redis, 200)
    rows.push({ measure: 'one predict, p50 round trip (ms)', runtime: 'bullmq, 1 worker', 'median (min–max)': ms(p50(bull)), 'vs pool': ratio(p50(bull), p50(poolTrip)) })
    rows.push({ measure: 'one predict, p50 round trip (ms)', runtime: 'pool, 2 threads', 'median (min–max)': ms(p50(poolTrip)), 'vs pool': '1.00×' })
    rows.push({ measure: 'raw BullMQ no-op job, p50 round trip (ms)', runtime: 'bullmq floor', 'median (min–max)': ms(p50(floor)), 'vs pool': ratio(p50(floor), p50(poolTrip)) })
    // A fit of the breast-cancer forest (569 × 30, 25 trees).
    const bc = breastCancer()
    const fits: Record<string, number[]> = { bullmq: [], pool: [] }
    for (const [name, om] of [['bullmq', bullmq], ['pool', pool]] as const) {
      await om.models.put(new RandomForestClassifier({ nEstimators: 25, seed: 3, noOOB: true }), 'bc')
      for (let r = 0; r < RUNS + 1; r++) {
        const t0 = performance.now()
        await om.runtime.model('bc@1').fit(bc.X, bc.y)
        if (r > 0) fits[name]!.push(performance.now() - t0)
      }
    }
    rows.push({ measure: 'fit breast-cancer forest, 25 trees (ms)', runtime: 'bullmq, 1 worker', 'median (min–max)': spread(fits.bullmq!, ms), 'vs pool': ratio(p50(fits.bullmq!), p50(fits.pool!)) })
    rows.push({ measure: 'fit breast-cancer forest, 25 trees (ms)', runtime: 'pool, 2 threads', 'median (min–max)': spread(fits.pool!, ms), 'vs pool': '1.00×' })
    await bullmq.close()
    await pool.close()
  } finally {
    info.disconnect()
    await Promise.all(workers.map((w) => w.kill()))
    await redis.stop()
  }
  printTable('bullmq: scale-out through Redis (fs store shared by the worker processes)', rows)
  return rows
}
