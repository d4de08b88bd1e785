import { hostname } from 'node:os'
import { Worker, type Job } from 'bullmq'
import {
  CheckedBackend, ModelCache, Omega, OmegaError, PROGRESS_INTERVAL_MS, PluginHost, errors, executeTask, fromWire, materializeScript, resolvePluginSpecifier, RUNTIME_LABEL,
  runScriptModule, scriptError, toWire, type DatasetRef, type ModelInput, type ModelTask, type Progress, Tensor, type ScriptOmega, type ScriptPackage, type StorageBackend, type TaskOutcome,
} from '@omega/core'
import { closeWithin } from './bounded-close.js'
import { pack, readTemp, unpack, writeTemp, type TempRef } from './job-codec.js'
import { probeRedis, queueName, redisError, resolveSettings, type RedisConnection } from './bullmq-settings.js'
import type { JobData, JobResult } from './bullmq-runtime.js'

/** Options of {@link startWorker} (`omega worker` passes its flags here). */
export interface WorkerOptions {
  /** The shared store (`s3://bucket/prefix`, `fs:/shared/path`), as the callers open it. */
  readonly store: string
  /** Backend options for the store (`{ s3: { endpoint, region, credentials } }`). */
  readonly storeOptions?: Readonly<Record<string, unknown>>
  /** The Redis server of the queue. */
  readonly redis: RedisConnection
  /** The queue's name, as the callers' runtime setting `queue`. @default 'omega' */
  readonly queue?: string
  /** Labels served besides the default queue (`gpu` serves `om.runtime.require({ label: 'gpu' })`). */
  readonly labels?: readonly string[]
  /** Tasks run at once per queue served. @default 1 */
  readonly concurrency?: number
  /** Plugin modules (handlers, backends) as the callers load them; `@omega/omega`'s BUILTINS_URL for the bundled set. */
  readonly plugins?: readonly string[]
  /** Live models kept, by sha256. @default 16 */
  readonly cacheSize?: number
  /** This worker's name in logs and results. @default `<hostname>:<pid>` */
  readonly name?: string
  /** Called with one line per task (which worker ran what, how long, the outcome). */
  readonly log?: (line: string) => void
  /**
   * Times a task may be taken back from a worker that stopped answering (killed, hung) and given to
   * another before it fails with E_WORKER. @default 1
   */
  readonly maxStalledCount?: number
  /** Milliseconds a worker's lock on its task lasts without renewal (a killed worker's task is retried after about this long). @default 10000 */
  readonly lockDurationMs?: number
}

/** A running worker. */
export interface WorkerHandle {
  readonly name: string
  /** The queues served (the default queue and one per label). */
  readonly queues: readonly string[]
  /** Stops taking tasks, finishes the running ones (or, with `force`, returns them to the queue), and closes the store. */
  close(options?: { readonly force?: boolean }): Promise<void>
}

/**
 * Serves tasks of the bullmq runtime: loads the plugins as a pool worker does, opens the shared
 * store, and runs each task with core's `executeTask`. A task names its model version; the worker
 * reads and verifies its bytes from the store and keeps the live model by sha256, so Redis carries
 * no model bytes. Fitted models go back as temporary objects in the store: the caller commits the
 * version, so a task delivered twice can never store two.
 *
 * @throws {OmegaError} E_UNSUPPORTED for an embedded store; E_BACKEND naming the address if Redis or the store cannot be reached
 */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const settings = resolveSettings({ connection: options.redis, ...(options.queue !== undefined && { queue: options.queue }) })
  const labels = [...new Set(options.labels ?? [])]
  for (const label of labels) if (!RUNTIME_LABEL.test(label)) throw errors.invalidArgument(`worker label ${JSON.stringify(label)} must be letters, digits, ".", "_" or "-"`)
  const concurrency = options.concurrency ?? 1
  if (!Number.isInteger(concurrency) || concurrency < 1) throw errors.invalidArgument(`concurrency must be a positive integer, got ${String(concurrency)}`)
  const name = options.name ?? `${hostname()}:${process.pid}`
  const plugins = (options.plugins ?? []).map((p) => resolvePluginSpecifier(p))
  await probeRedis(settings.connection, settings.address, settings.connectTimeoutMs, 'start a worker')
  const host = new PluginHost()
  await host.load(plugins)
  const om = await Omega.open({ ...options.storeOptions, store: options.store, plugins, runtime: 'inline' })
  let store: StorageBackend | undefined
  const workers: Worker[] = []
  try {
    const raw = await host.backends.create(options.store, { ...options.storeOptions, store: options.store, bucket: 'default', plugins })
    store = new CheckedBackend(raw)
    await store.open()
    if (!store.supports.multiProcess) throw errors.unsupported(`a worker needs a store its callers share (s3://bucket/prefix or fs:/shared/path); ${store.location} is embedded`)
    const env = { handlers: host.handlers, cache: new ModelCache(options.cacheSize ?? 16) }
    const shared = store
    const processor = async (job: Job<JobData>): Promise<JobResult> => {
      const started = Date.now()
      const outcome = await runJob(job, { om, store: shared, env, inlineBytes: settings.inlineBytes })
      const temps: TempRef[] = []
      // Model bytes never go through Redis: fitted parts always become temporary objects.
      const packed = await packOutcome(outcome, settings.inlineBytes, (bytes) => writeTemp(shared, bytes), temps)
      options.log?.(`${name} ran ${job.name} (job ${job.id}, queue ${job.queueName}) in ${Date.now() - started} ms: ${outcome.ok ? 'ok' : 'error' in outcome ? outcome.error.code : 'no model'}`)
      return { outcome: packed, worker: name }
    }
    const queues = [settings.queue, ...labels.map((l) => queueName(settings.queue, l))]
    for (const queue of queues) {
      const worker = new Worker<JobData, JobResult>(queue, processor, {
        connection: { ...settings.connection, maxRetriesPerRequest: null },
        concurrency,
        maxStalledCount: options.maxStalledCount ?? 1,
        lockDuration: options.lockDurationMs ?? 10_000,
        stalledInterval: Math.max(1_000, Math.floor((options.lockDurationMs ?? 10_000) / 2)),
        autorun: false,
      })
      worker.on('error', () => undefined)
      workers.push(worker)
    }
    await waitReady(workers, settings.address, settings.connectTimeoutMs)
    for (const w of workers) void w.run().catch(() => undefined)
    return {
      name,
      queues,
      close: async ({ force = false } = {}) => {
        // Unforced, running tasks finish first (their time is not bounded); forced, they go back to the queue.
        if (force) await closeWithin(workers.map((w) => ({ close: () => w.close(true), disconnect: () => w.disconnect() })), settings.connectTimeoutMs)
        else await Promise.allSettled(workers.map((w) => w.close()))
        await shared.close()
        await om.close()
      },
    }
  } catch (err) {
    await closeWithin(workers.map((w) => ({ close: () => w.close(true), disconnect: () => w.disconnect() })), 200)
    await store?.close()
    await om.close()
    throw err
  }
}

interface JobContext {
  readonly om: Omega
  readonly store: StorageBackend
  readonly env: { readonly handlers: PluginHost['handlers']; readonly cache: ModelCache }
  readonly inlineBytes: number
}

type WireModelTask = Omit<ModelTask, 'model'> & { readonly model: ModelTask['model'] & { readonly spilledParts?: Readonly<Record<string, TempRef>> } }
type WireScriptTask = { readonly type: 'script'; readonly script: string; readonly sha256: string; readonly args: unknown; readonly bucket: string }

const MUTATING = new Set(['fit', 'partialFit', 'foldScore'])

/** Runs one job's task; failures come back as data, like executeTask's. */
async function runJob(job: Job<JobData>, ctx: JobContext): Promise<TaskOutcome> {
  try {
    const task = (await unpack(job.data.task, (ref) => readTemp(ctx.store, ref))) as WireModelTask | WireScriptTask
    if (task.type === 'script') return await runScript(task, ctx)
    const progress = throttled((p) => job.updateProgress(p as unknown as object))
    try {
      const withParts = async (): Promise<ModelTask> => ({ ...task, model: { ...task.model, parts: await partsOf(task, ctx) } })
      // Inputs sent by name are read here, at the version the caller resolved and checked.
      const live = { ...(task.Xref && { X: await readDataset(task.Xref, ctx) }), ...(task.Yref && { Y: await readDataset(task.Yref, ctx) }) }
      let outcome = await executeTask(MUTATING.has(task.op) ? await withParts() : task, ctx.env, live, progress.report)
      if (!outcome.ok && 'missingModel' in outcome) outcome = await executeTask(await withParts(), ctx.env, live, progress.report)
      return outcome
    } finally {
      await progress.flush()
    }
  } catch (err) {
    const error = OmegaError.is(err) ? err : new OmegaError('E_WORKER', `worker failed on ${job.name}: ${(err as Error).message}`, { cause: err })
    return { ok: false, error: error.toJSON() }
  }
}

/** The model's bytes: the stored version's, read and verified from the shared store, or those the caller sent. */
async function partsOf(task: WireModelTask, ctx: JobContext): Promise<Record<string, Uint8Array>> {
  const spilled = task.model.spilledParts
  if (spilled) return Object.fromEntries(await Promise.all(Object.entries(spilled).map(async ([k, ref]) => [k, await readTemp(ctx.store, ref)] as const)))
  const models = ctx.om.bucket(task.model.bucket ?? 'default').models
  const meta = await models.version(`${task.model.name}@${task.model.version}`)
  if (meta.sha256 !== task.model.sha256) {
    throw new OmegaError('E_INTEGRITY', `model "${task.model.name}@${task.model.version}" in the shared store has sha256 ${meta.sha256}, the caller's has ${task.model.sha256}; do the worker and the caller open the same store?`, {
      details: { name: task.model.name, version: task.model.version },
    })
  }
  return await models.parts(meta)
}

async function readDataset(ref: DatasetRef, ctx: JobContext): Promise<ModelInput> {
  const value = await ctx.om.bucket(ref.bucket).datasets.get(ref.name)
  if (value instanceof Tensor || (typeof value === 'object' && value !== null && 'schema' in value)) return value as ModelInput
  throw errors.invalidArgument(`dataset "${ref.name}" is not a table or tensor`)
}

/** A script's `om` on a worker is a real instance on the shared store, bound to the caller's bucket. */
async function runScript(task: WireScriptTask, ctx: JobContext): Promise<TaskOutcome> {
  const om = ctx.om.bucket(task.bucket)
  try {
    const entry = await materializeScript(task.sha256, async () => (await om.scripts.get(task.script)) as ScriptPackage)
    const result = await runScriptModule(entry, task.script, om as unknown as ScriptOmega, fromWire(task.args))
    return { ok: true, result: { type: 'value', value: toWire(result) } }
  } catch (err) {
    return { ok: false, error: scriptError(err, task.script).toJSON() }
  }
}

async function packOutcome(outcome: TaskOutcome, inlineBytes: number, spill: (bytes: Uint8Array) => Promise<TempRef>, temps: TempRef[]): Promise<unknown> {
  if (!outcome.ok || outcome.result.type !== 'model') return await pack(outcome, inlineBytes, spill, temps)
  const { parts, ...rest } = outcome.result
  return { ok: true, result: { ...(await pack(rest, inlineBytes, spill, temps) as object), parts: await pack(parts, -1, spill, temps) } }
}

/** Progress sent at most every PROGRESS_INTERVAL_MS, the last one always (flushed before the result). */
function throttled(send: (p: Progress) => Promise<unknown>): { report: (p: Progress) => void; flush: () => Promise<void> } {
  let last = 0
  let waiting: Progress | undefined
  let sending: Promise<unknown> = Promise.resolve()
  const push = (p: Progress): void => {
    last = Date.now()
    sending = sending.then(() => send(p)).catch(() => undefined)
  }
  return {
    report: (p) => {
      if (Date.now() - last >= PROGRESS_INTERVAL_MS) {
        waiting = undefined
        push(p)
      } else waiting = p
    },
    flush: async () => {
      if (waiting) push(waiting)
      waiting = undefined
      await sending
    },
  }
}

async function waitReady(workers: Worker[], address: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      Promise.all(workers.map((w) => w.waitUntilReady())),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } catch (err) {
    throw redisError(address, 'start the worker', err)
  } finally {
    clearTimeout(timer)
  }
}

