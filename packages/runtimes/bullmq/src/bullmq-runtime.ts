import { randomUUID } from 'node:crypto'
import { Queue, QueueEvents, type Job } from 'bullmq'
import { OmegaError, abortError, combineSignals, errors, sameModel, type ModelTask, type Progress, type Runtime, type RuntimeHost, type RunOptions, type StorageBackend, type Task, type TaskOutcome } from '@omega/core'
import { deleteTemps, pack, readTemp, tempsIn, unpack, writeTemp, type TempRef } from './job-codec.js'
import { closeWithin } from './bounded-close.js'
import { probeRedis, queueName, redisError, resolveSettings, type BullmqSettings, type ResolvedSettings } from './bullmq-settings.js'

/** What a job carries: the task without model bytes (workers read versions from the shared store), packed. */
export interface JobData {
  readonly task: unknown
  /** The caller's call id: a duplicate delivery of the job is recognised by it. */
  readonly callId: string
}

/** What a worker returns: the outcome, packed, and who ran it. */
export interface JobResult {
  readonly outcome: unknown
  readonly worker: string
}

interface Pending {
  readonly queue: string
  readonly label: string | undefined
  readonly task: Task
  readonly resolve: (outcome: TaskOutcome) => void
  readonly reject: (err: unknown) => void
  readonly onProgress: ((progress: Progress) => void) | undefined
  readonly since: number
  active: boolean
  settled: boolean
}

/** Milliseconds between checks of tasks whose events may have been lost (Redis restarted, connection dropped). */
const WATCH_INTERVAL_MS = 1_000

/**
 * Runs tasks on worker processes through BullMQ queues on Redis. Model bytes never travel through
 * Redis: a task names its model version, and each worker reads and verifies it from the shared store
 * (caching the live model by sha256); inline inputs over `inlineBytes` travel as temporary objects
 * in that store, removed when the call ends. Completion, failure and progress arrive as queue
 * events; a watchdog polls the jobs of calls that hear nothing, so a restarted Redis (which lost
 * its jobs) fails them with E_BACKEND instead of leaving them waiting.
 */
export class BullmqRuntime implements Runtime {
  readonly kind = 'bullmq'
  readonly routes = true
  /** Workers read datasets by name from the shared store. */
  readonly readsStore = true
  readonly settings: ResolvedSettings
  readonly #store: StorageBackend
  readonly #queues = new Map<string, Promise<{ queue: Queue; events: QueueEvents }>>()
  readonly #pending = new Map<string, Pending>()
  /** Jobs given up (abort, timeout) while a worker may still run them: their results are cleaned up when they come. */
  readonly #abandoned = new Set<string>()
  readonly #watch: NodeJS.Timeout
  #unreachableSince: number | undefined
  #closed = false

  private constructor(settings: ResolvedSettings, store: StorageBackend) {
    this.settings = settings
    this.#store = store
    this.#watch = setInterval(() => void this.#check(), WATCH_INTERVAL_MS)
    this.#watch.unref()
  }

  /**
   * Connects to Redis and starts listening to the default queue.
   *
   * @throws {OmegaError} E_UNSUPPORTED for a store workers cannot share (memory:, level:); E_BACKEND naming the address if Redis cannot be reached within `connectTimeoutMs`
   */
  static async start(host: RuntimeHost, settings: BullmqSettings): Promise<BullmqRuntime> {
    const resolved = resolveSettings(settings)
    const store = host.store
    if (!store) throw errors.unsupported('the bullmq runtime needs the instance\'s store (open it with Omega.open)')
    if (!store.supports.multiProcess) {
      throw errors.unsupported(`the bullmq runtime needs a store its workers share (s3://bucket/prefix or fs:/shared/path); ${store.location} is embedded in this process`, { store: store.location })
    }
    const runtime = new BullmqRuntime(resolved, store)
    try {
      await runtime.#queue(undefined)
    } catch (err) {
      await runtime.close({ force: true })
      throw err
    }
    return runtime
  }

  async run(task: Task, options: RunOptions = {}): Promise<TaskOutcome> {
    if (this.#closed) throw new OmegaError('E_ABORTED', 'the bullmq runtime is closed')
    const signal = combineSignals(options.signal, options.timeoutMs)
    if (signal?.aborted) throw abortError(signal)
    const { queue } = await this.#queue(options.label)
    const callId = randomUUID()
    const temps: TempRef[] = []
    const spill = (bytes: Uint8Array): Promise<TempRef> => writeTemp(this.#store, bytes)
    try {
      const data: JobData = { callId, task: await pack(await this.#wireTask(task, temps), this.settings.inlineBytes, spill, temps) }
      const outcome = await new Promise<TaskOutcome>((resolve, reject) => {
        const pending: Pending = { queue: queue.name, label: options.label, task, resolve, reject, onProgress: options.onProgress, since: Date.now(), active: false, settled: false }
        this.#pending.set(callId, pending)
        const pickup = setTimeout(() => {
          if (!pending.active) this.#giveUp(callId, this.#notPickedUp(pending))
        }, this.settings.pickupTimeoutMs)
        pickup.unref()
        const onAbort = (): void => this.#giveUp(callId, this.#stopped(pending, signal!))
        signal?.addEventListener('abort', onAbort, { once: true })
        const settle = (): void => {
          pending.settled = true
          clearTimeout(pickup)
          signal?.removeEventListener('abort', onAbort)
          this.#pending.delete(callId)
        }
        Object.assign(pending, {
          resolve: (o: TaskOutcome) => (settle(), resolve(o)),
          reject: (e: unknown) => (settle(), reject(e)),
        })
        // jobId = the call id: a retried add (or a duplicate delivery) is the same job, never a second run of its result.
        queue.add(taskName(task), data, { jobId: callId, attempts: 1, removeOnComplete: { age: 600, count: 1000 }, removeOnFail: { age: 3600, count: 1000 } }).catch((err: unknown) => {
          if (!pending.settled) pending.reject(redisError(this.settings.address, `queue a task on "${queue.name}"`, err))
        })
      })
      return outcome
    } finally {
      await deleteTemps(this.#store, temps)
    }
  }

  /**
   * The task as a job carries it: model bytes are left out when they are the stored version's
   * (the worker reads them), and sent as a temporary object otherwise (the chunks of a partialFit
   * between versions); a script's port stays here (its `om` on the worker is the shared store).
   */
  async #wireTask(task: Task, temps: TempRef[]): Promise<unknown> {
    if (task.type === 'script') {
      const { port, entry, ...rest } = task
      void entry
      port.close()
      return rest
    }
    const { parts, cacheKey, ...model } = task.model
    void cacheKey
    if (!parts || sameModel(parts, model.sha256)) return { ...task, model }
    const spilled: Record<string, TempRef> = {}
    for (const [name, bytes] of Object.entries(parts)) {
      const ref = await writeTemp(this.#store, bytes)
      temps.push(ref)
      spilled[name] = ref
    }
    return { ...task, model: { ...model, spilledParts: spilled } } satisfies Omit<ModelTask, 'model'> & { model: unknown }
  }

  #queue(label: string | undefined): Promise<{ queue: Queue; events: QueueEvents }> {
    const name = queueName(this.settings.queue, label)
    let entry = this.#queues.get(name)
    if (!entry) {
      entry = this.#open(name)
      this.#queues.set(name, entry)
      entry.catch(() => this.#queues.delete(name))
    }
    return entry
  }

  async #open(name: string): Promise<{ queue: Queue; events: QueueEvents }> {
    const { connection, address, connectTimeoutMs } = this.settings
    await probeRedis(connection, address, connectTimeoutMs, `open the queue "${name}"`)
    // The producer fails fast while Redis is away (no offline queue); the events reader blocks and reconnects.
    const queue = new Queue(name, { connection: { ...connection, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: connectTimeoutMs } })
    const events = new QueueEvents(name, { connection: { ...connection, connectTimeout: connectTimeoutMs } })
    const noteError = (): void => {
      this.#unreachableSince ??= Date.now()
    }
    queue.on('error', noteError)
    events.on('error', noteError)
    events.on('active', ({ jobId }) => {
      const p = this.#pending.get(jobId)
      if (p) p.active = true
    })
    events.on('progress', ({ jobId, data }) => {
      const p = this.#pending.get(jobId)
      if (p && !p.settled && typeof data === 'object' && data !== null) p.onProgress?.(data as unknown as Progress)
    })
    events.on('completed', ({ jobId, returnvalue }) => void this.#completed(jobId, returnvalue as unknown))
    events.on('failed', ({ jobId, failedReason }) => this.#failed(jobId, failedReason))
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        Promise.all([queue.waitUntilReady(), events.waitUntilReady()]),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs)
        }),
      ])
    } catch (err) {
      await closeWithin([queue, events], 200)
      throw redisError(address, `open the queue "${name}"`, err)
    } finally {
      clearTimeout(timer)
    }
    return { queue, events }
  }

  async #completed(jobId: string, returnvalue: unknown): Promise<void> {
    const result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as JobResult | undefined
    const p = this.#pending.get(jobId)
    if (!p || p.settled) {
      // A result nobody waits for any more (aborted, timed out): its temporary objects go now.
      if (this.#abandoned.delete(jobId) && result) await deleteTemps(this.#store, tempsIn(result.outcome))
      return
    }
    const temps: TempRef[] = []
    try {
      const outcome = (await unpack(result?.outcome, (ref) => readTemp(this.#store, ref), temps)) as TaskOutcome
      p.resolve(outcome)
    } catch (err) {
      p.reject(OmegaError.is(err) ? err : new OmegaError('E_WORKER', `the result of ${describe(p.task)} could not be read: ${(err as Error).message}`, { cause: err }))
    } finally {
      await deleteTemps(this.#store, temps)
    }
  }

  #failed(jobId: string, reason: string): void {
    this.#abandoned.delete(jobId)
    const p = this.#pending.get(jobId)
    if (!p || p.settled) return
    const message = /stalled more than/.test(reason)
      ? `${describe(p.task)} stalled on every worker that took it: each stopped answering (killed, or its event loop blocked longer than the lock lasts) more often than maxStalledCount allows; nothing was stored`
      : `a worker failed while running ${describe(p.task)}: ${reason}`
    p.reject(new OmegaError('E_WORKER', message, { details: { queue: p.queue, reason, ...(p.label !== undefined && { label: p.label }) } }))
  }

  /** Ends a call early (abort, timeout, not picked up): removes its job if no worker holds it, else leaves its result to be discarded. */
  #giveUp(callId: string, error: OmegaError): void {
    const p = this.#pending.get(callId)
    if (!p || p.settled) return
    p.reject(error)
    this.#abandoned.add(callId)
    void (async () => {
      const entry = await this.#queues.get(p.queue)
      const job = await entry?.queue.getJob(callId)
      // A job a worker holds is locked: remove() fails, and its result is discarded on arrival.
      await job?.remove()
      this.#abandoned.delete(callId)
    })().catch(() => undefined)
  }

  #notPickedUp(p: Pending): OmegaError {
    const where = p.label === undefined ? `no worker serves the queue "${p.queue}"` : `no worker serves the label "${p.label}" (queue "${p.queue}")`
    const how = p.label === undefined ? 'start one with omega worker' : `start one with omega worker --labels ${p.label}`
    return new OmegaError('E_TIMEOUT', `${describe(p.task)} waited ${this.settings.pickupTimeoutMs} ms and was not picked up: ${where}; ${how}. Nothing was stored`, {
      details: { queue: p.queue, ...(p.label !== undefined && { label: p.label }), waitedMs: this.settings.pickupTimeoutMs },
    })
  }

  #stopped(p: Pending, signal: AbortSignal): OmegaError {
    const err = abortError(signal)
    if (err.code !== 'E_TIMEOUT' || p.active || p.label === undefined) return err
    return new OmegaError('E_TIMEOUT', `${describe(p.task)} timed out before any worker took it: no worker serves the label "${p.label}" (queue "${p.queue}"); nothing was stored`, {
      cause: err,
      details: { label: p.label, queue: p.queue },
    })
  }

  /** Finds the outcome of calls whose events were lost, and fails calls whose jobs Redis lost or that Redis is away too long for. */
  async #check(): Promise<void> {
    const now = Date.now()
    const quiet = [...this.#pending.entries()].filter(([, p]) => now - p.since > WATCH_INTERVAL_MS)
    if (quiet.length === 0) {
      this.#unreachableSince = undefined
      return
    }
    for (const [id, p] of quiet) {
      let job: Job | undefined
      let state: string
      try {
        const entry = await this.#queues.get(p.queue)
        if (!entry) continue
        job = await entry.queue.getJob(id)
        state = job ? await job.getState() : 'unknown'
        this.#unreachableSince = undefined
      } catch (err) {
        this.#unreachableSince ??= now
        if (now - this.#unreachableSince > this.settings.unreachableMs) p.reject(redisError(this.settings.address, `report on ${describe(p.task)} for ${this.settings.unreachableMs} ms`, err))
        continue
      }
      if (p.settled) continue
      if (state === 'active') p.active = true
      else if (state === 'completed') await this.#completed(id, job!.returnvalue)
      else if (state === 'failed') this.#failed(id, job!.failedReason)
      else if (state === 'unknown' && now - p.since > 2 * WATCH_INTERVAL_MS) {
        p.reject(new OmegaError('E_BACKEND', `Redis at ${this.settings.address} lost the job of ${describe(p.task)} (was it restarted without persistence?); nothing was stored, call again`, {
          details: { redis: this.settings.address, queue: p.queue },
        }))
      }
    }
  }

  async close(options: { readonly force?: boolean } = {}): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#watch)
    if (!options.force) {
      await Promise.allSettled([...this.#pending.values()].map((p) => new Promise((r) => {
        const done = (): void => void r(undefined)
        const { resolve, reject } = p
        Object.assign(p, { resolve: (o: TaskOutcome) => (resolve(o), done()), reject: (e: unknown) => (reject(e), done()) })
      })))
    } else {
      for (const [id] of this.#pending) this.#giveUp(id, new OmegaError('E_ABORTED', 'the omega instance was closed while this call was running; nothing was stored'))
    }
    const entries = await Promise.allSettled(this.#queues.values())
    await closeWithin(entries.flatMap((e) => (e.status === 'fulfilled' ? [e.value.queue, e.value.events] : [])), this.settings.connectTimeoutMs)
  }
}

function taskName(task: Task): string {
  return task.type === 'script' ? `script:${task.script}` : `${task.op}:${task.model.name}@${task.model.version}`
}

function describe(task: Task): string {
  return task.type === 'script' ? `script "${task.script}"` : `${task.op} on "${task.model.name}@${task.model.version}"`
}

