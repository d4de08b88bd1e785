import { MessageChannel } from 'node:worker_threads'
import { OmegaError, errors } from '../errors.js'
import type { JobStore, RunRecord } from '../jobs/job-store.js'
import type { ScriptOmega } from '../rpc/remote-omega.js'
import { serveOmega, type ServedOmega } from '../rpc/serve-omega.js'
import { fromWire, toWire } from '../rpc/wire.js'
import { materializeScript } from '../scripts/script-cache.js'
import type { ScriptPackage } from '../scripts/script-package.js'
import type { ScriptStore } from '../scripts/script-store.js'
import type { Metadata } from '../store/metadata.js'
import { runScriptModule, scriptError } from './execute-script.js'
import { abortError, combine } from './inline-runtime.js'
import type { RunOptions, Runtime } from './runtime.js'
import { checkRoute } from './runtime-route.js'

/** What `om.runtime.script(name)` needs from its instance. */
export interface ScriptRunContext {
  /** The instance (bucket view) a script's `om` is bound to. */
  readonly om: ServedOmega & ScriptOmega
  readonly scripts: ScriptStore
  readonly jobs: JobStore
  runtime(): Promise<Runtime>
  track<T>(fn: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined): Promise<T>
}

/** What a script run resolves to. */
export interface ScriptRun<T = unknown> {
  /** What `run(om, args)` returned (Arrow tables and tensors cross threads as such). */
  readonly result: T
  readonly startedAt: string
  readonly endedAt: string
  readonly durationMs: number
}

/** The job occurrence a run stands for. @internal */
export interface JobOccurrence {
  readonly job: string
  readonly occurrence: Date
}

/**
 * `om.runtime.script(name)`: runs a stored script's `run(om, args)` on the instance's runtime. On
 * the pool, the module is imported in a worker thread (extracted once per sha256) and its `om`
 * is a proxy over a message port to this instance; inline, it runs on this thread with this `om`.
 * Every run is recorded in `om.jobs.runs(name)`, success or failure.
 */
export class ScriptProxy {
  constructor(
    readonly ctx: ScriptRunContext,
    readonly name: string,
  ) {}

  /**
   * Runs the script and resolves to `{ result, startedAt, endedAt, durationMs }`.
   *
   * @throws {OmegaError} E_NOT_FOUND for a missing script; E_WORKER with the script's message and stack (`details.stack`) when it throws; E_TIMEOUT after `timeoutMs` (the worker is recycled); E_ABORTED
   */
  async run<T = unknown>(args: unknown = {}, options: RunOptions = {}): Promise<ScriptRun<T>> {
    return await this.ctx.track(async (signal) => await this.execute<T>(args, { ...options, ...(signal && { signal }) }), options.signal)
  }

  /** Runs for a job occurrence (the scheduler). @internal */
  async execute<T>(args: unknown, options: RunOptions, occurrence?: JobOccurrence): Promise<ScriptRun<T>> {
    const started = new Date()
    const written: string[] = []
    let record: Omit<RunRecord, 'status' | 'endedAt' | 'durationMs' | 'datasets'> = {
      script: this.name,
      startedAt: started.toISOString(),
      ...(occurrence && { job: occurrence.job, occurrence: occurrence.occurrence.toISOString() }),
    }
    const finish = async (status: RunRecord['status'], extra: Partial<RunRecord>): Promise<Omit<ScriptRun, 'result'>> => {
      const ended = new Date()
      const run = { startedAt: record.startedAt, endedAt: ended.toISOString(), durationMs: ended.getTime() - started.getTime() }
      await this.ctx.jobs.recordRun({ ...record, ...run, status, datasets: written, ...extra })
      return run
    }
    let meta: Metadata
    try {
      meta = await this.ctx.scripts.script(this.name)
    } catch (err) {
      // A direct call of a missing script leaves no history; a job whose script went away does.
      if (occurrence) await finish('failed', { error: errorSummary(err) })
      throw err
    }
    try {
      const entry = await materializeScript(meta.sha256, async () => (await this.ctx.scripts.get(this.name)) as ScriptPackage)
      const runtime = await this.ctx.runtime()
      if (options.label !== undefined) checkRoute(runtime, options.label)
      record = { ...record, runtime: runtime.kind }
      const result = isSameThread(runtime)
        ? await this.#inline(entry, args, options, written)
        : await this.#onRuntime(runtime, meta, entry, args, options, written)
      const resultName = (result as Partial<Metadata> | undefined)?.prefix === 'data/' ? (result as Metadata).name : undefined
      const run = await finish('success', resultName === undefined ? {} : { result: resultName })
      return { result: result as T, ...run }
    } catch (err) {
      const error = OmegaError.is(err, 'E_TIMEOUT') && options.timeoutMs !== undefined
        ? new OmegaError('E_TIMEOUT', `script "${this.name}" did not finish within ${options.timeoutMs} ms; it was stopped (on the pool its worker was recycled); what it stored through om before stays`, { cause: err, details: { script: this.name } })
        : OmegaError.is(err) ? err : scriptError(err, this.name)
      await finish('failed', { error: errorSummary(error) }).catch(() => undefined)
      throw error
    }
  }

  async #inline(entry: string, args: unknown, options: RunOptions, written: string[]): Promise<unknown> {
    const signal = combine(options.signal, options.timeoutMs)
    if (signal?.aborted) throw abortError(signal)
    const work = runScriptModule(entry, this.name, trackWrites(this.ctx.om, written), args).catch((err: unknown) => {
      throw scriptError(err, this.name)
    })
    if (!signal) return await work
    return await new Promise((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal))
      signal.addEventListener('abort', onAbort, { once: true })
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  }

  async #onRuntime(runtime: Runtime, meta: Metadata, entry: string, args: unknown, options: RunOptions, written: string[]): Promise<unknown> {
    const { port1, port2 } = new MessageChannel()
    const service = serveOmega(this.ctx.om, port1)
    try {
      const task = { type: 'script', script: this.name, sha256: meta.sha256, entry, args: toWire(args), bucket: this.ctx.om.bucketName, port: port2 } as const
      const outcome = await runtime.run(task, options)
      if (!outcome.ok) {
        if ('error' in outcome) throw OmegaError.fromJSON(outcome.error)
        throw errors.invalidArgument(`the runtime cannot run scripts`)
      }
      if (outcome.result.type !== 'value') throw errors.invalidArgument(`the runtime answered a script with a ${outcome.result.type}`)
      return fromWire(outcome.result.value)
    } finally {
      written.push(...service.written.datasets)
      service.close()
      port1.close()
    }
  }
}

function isSameThread(runtime: Runtime): boolean {
  return (runtime as { sameThread?: boolean }).sameThread === true
}

function errorSummary(err: unknown): { code: string; message: string } {
  return OmegaError.is(err) ? { code: err.code, message: err.message } : { code: 'E_WORKER', message: err instanceof Error ? err.message : String(err) }
}

/**
 * The instance as an inline script sees it: the real `om`, noting the datasets it stores (put,
 * readCsv, predict with rName) for the run record.
 */
function trackWrites(om: ServedOmega & ScriptOmega, written: string[]): ScriptOmega {
  const note = (value: unknown): unknown => {
    const meta = value as Partial<Metadata> | undefined
    if (meta?.prefix === 'data/' && typeof meta.name === 'string') written.push(meta.name)
    return value
  }
  const wrap = <T extends object>(target: T, methods: readonly string[], special: Record<string, unknown> = {}): T =>
    new Proxy(target, {
      get(t, p) {
        if (typeof p === 'string' && p in special) return special[p]
        const v = Reflect.get(t, p, t) as unknown
        if (typeof v !== 'function') return v
        // Bound to the real object: its private fields are not reachable through a Proxy.
        const bound = (v as (...a: unknown[]) => unknown).bind(t)
        return methods.includes(String(p)) ? async (...a: unknown[]) => note(await bound(...a)) : bound
      },
    })
  return wrap(om, [], {
    datasets: wrap(om.datasets, ['put', 'readCsv']),
    runtime: wrap(om.runtime, [], { model: (name: string) => wrap(om.runtime.model(name), ['predict']) }),
  })
}
