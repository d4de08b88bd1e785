import { OmegaError, errors } from '../errors.js'
import type { JsonObject } from '../json.js'
import { collectBytes } from '../backend/hashing.js'
import { Tensor } from '../data/tensor.js'
import type { HandlerContext, ModelHandler, StoredArtifacts } from '../handler/handler.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'
import { releaseModel, type ModelCache } from './model-cache.js'
import { executeScriptTask } from './execute-script.js'
import { score, takeRows } from './scoring.js'
import { asTensor, decodeInput, encodeTensor, type ModelInput } from './task-codec.js'
import type { ModelTask, Progress, Task, TaskOutcome, TaskResult } from './runtime.js'

/** What a thread needs to execute tasks: the handlers its plugins registered and its model cache. */
export interface ExecutionEnv {
  readonly handlers: HandlerRegistry
  readonly cache: ModelCache
}

/** Inputs already decoded on this thread (the inline runtime skips encoding). */
export interface LiveInputs {
  readonly X?: ModelInput
  readonly Y?: ModelInput
}

const MUTATING = new Set(['fit', 'partialFit', 'foldScore'])

/**
 * The one execution path, for the inline runtime and inside every pool worker: load the model
 * (from the cache for read-only operations), decode the inputs, run the handler, and return the
 * result as data. Never throws: failures come back as `{ ok: false, error }`, non-omega errors as
 * E_WORKER carrying the framework's message.
 */
export async function executeTask(task: Task, env: ExecutionEnv, live: LiveInputs = {}, onProgress?: (progress: Progress) => void): Promise<TaskOutcome> {
  if (task.type === 'script') return await executeScriptTask(task, env.handlers)
  try {
    return await execute(task, env, live, onProgress)
  } catch (err) {
    return { ok: false, error: asWorkerError(err, task).toJSON() }
  }
}

async function execute(task: ModelTask, env: ExecutionEnv, live: LiveInputs, onProgress: ((progress: Progress) => void) | undefined): Promise<TaskOutcome> {
  const handler = env.handlers.get(task.model.kind) as ModelHandler
  const op = task.op === 'foldScore' ? 'fit' : task.op
  if (typeof handler[op] !== 'function') {
    throw errors.unsupported(`${task.model.kind} models cannot ${op}${op === 'fit' || op === 'partialFit' ? ' (inference-only: fit in the source framework and put the new export)' : ''}`, {
      kind: task.model.kind,
      op,
    })
  }
  const context: HandlerContext = { name: task.model.name, store: 'models', options: task.params ?? {} }
  let model: unknown
  if (MUTATING.has(task.op)) {
    // A fit changes the model object in place, so it always starts from a fresh copy.
    if (!task.model.parts) return { ok: false, missingModel: true }
    model = await handler.deserialize(artifactsOf(task.model.kindMeta, task.model.parts), context)
  } else {
    // The same bytes make a different live model under other kindMeta (ONNX featureNames and
    // inputColumns are put options) or per-call session options.
    const base = task.model.cacheKey ?? modelKey(task.model.sha256, task.model.kindMeta)
    const key = task.params?.sessionOptions === undefined ? base : `${base}:${JSON.stringify(task.params.sessionOptions)}`
    model = env.cache.get(key)
    if (model === undefined) {
      if (!task.model.parts) return { ok: false, missingModel: true }
      model = await handler.deserialize(artifactsOf(task.model.kindMeta, task.model.parts), context)
      env.cache.set(key, model)
    }
  }
  const X = live.X ?? (task.X && decodeInput(task.X))
  const Y = live.Y ?? (task.Y && decodeInput(task.Y))
  const params = task.params ?? {}
  const call = { params, ...(onProgress && { onProgress }) }
  const need = (input: ModelInput | undefined, what: string): ModelInput => {
    if (!input) throw errors.invalidArgument(`${task.op} needs ${what}`)
    return input
  }
  let result: TaskResult
  switch (task.op) {
    case 'fit':
    case 'partialFit': {
      if (Object.keys(params).length > 0 && handler.withParams) model = await handler.withParams(model, params)
      const fitted = await handler[task.op]!(model, need(X, 'X'), Y, call)
      try {
        result = await modelResult(handler, fitted, context)
      } finally {
        // A fitted copy is never cached: free what it holds (tfjs variables) once it is bytes.
        await releaseModel(fitted)
      }
      break
    }
    case 'predict': {
      const out = await handler.predict!(model, need(X, 'X'), call)
      result = out instanceof Tensor
        ? { type: 'tensor', data: encodeTensor(out, false) }
        : { type: 'tensors', data: Object.fromEntries(Object.entries(out).map(([k, t]) => [k, encodeTensor(t, false)])) }
      break
    }
    case 'predictProba':
    case 'transform': {
      const out = await handler[task.op]!(model, need(X, 'X'), call)
      result = { type: 'tensor', data: encodeTensor(out, false) }
      break
    }
    case 'score':
      result = { type: 'number', value: await handler.score!(model, need(X, 'X'), need(Y, 'Y'), call) }
      break
    case 'foldScore': {
      const x = asTensor(need(X, 'X'), 'X')
      const y = asTensor(need(Y, 'Y'), 'Y')
      if (handler.withParams) model = await handler.withParams(model, params)
      const fitted = await handler.fit!(model, takeRows(x, task.train ?? []), takeRows(y, task.train ?? []), call)
      const testX = takeRows(x, task.test ?? [])
      const testY = takeRows(y, task.test ?? [])
      let value: number
      if (task.scoring) {
        const predicted = await handler.predict!(fitted, testX, call)
        if (!(predicted instanceof Tensor)) throw errors.unsupported('named scorers need a single-output model')
        value = score(task.scoring, predicted, testY)
      } else if (handler.score) {
        value = await handler.score(fitted, testX, testY, call)
      } else {
        throw errors.unsupported(`${task.model.kind} has no score(); pass gridsearch({ scoring: 'accuracy' | 'r2' | 'neg_mean_squared_error' })`)
      }
      await releaseModel(fitted)
      result = { type: 'number', value }
      break
    }
  }
  return { ok: true, result }
}

/** The last cache key built per kindMeta object: a hot call reuses the string (and its hash) instead of building one. */
const MODEL_KEYS = new WeakMap<JsonObject, { sha256: string; key: string }>()
function modelKey(sha256: string, kindMeta: JsonObject): string {
  const hit = MODEL_KEYS.get(kindMeta)
  if (hit?.sha256 === sha256) return hit.key
  const key = `${sha256}:${kindMetaKey(kindMeta)}`
  if (Object.isFrozen(kindMeta)) MODEL_KEYS.set(kindMeta, { sha256, key })
  return key
}

const KIND_META_KEYS = new WeakMap<JsonObject, string>()
/** kindMeta as a string, memoised for frozen objects (the runtime's cached metadata). Runtimes key caches and batches by it. */
export function kindMetaKey(kindMeta: JsonObject): string {
  let key = KIND_META_KEYS.get(kindMeta)
  if (key === undefined) {
    key = JSON.stringify(kindMeta)
    if (Object.isFrozen(kindMeta)) KIND_META_KEYS.set(kindMeta, key)
  }
  return key
}

async function modelResult(handler: ModelHandler, model: unknown, context: HandlerContext): Promise<TaskResult> {
  const artifacts = await handler.serialize(model, context)
  const parts: Record<string, Uint8Array> = {}
  for (const [name, source] of Object.entries(artifacts.parts)) {
    parts[name] = source instanceof Uint8Array ? source : await collectBytes(source)
  }
  const metrics = handler.metrics?.(model)
  return { type: 'model', kind: handler.kind, kindMeta: artifacts.kindMeta, parts, ...(metrics && { metrics }) }
}

/** A handler's view of parts already in memory (the main thread read and verified them). */
export function artifactsOf(kindMeta: JsonObject, parts: Readonly<Record<string, Uint8Array>>): StoredArtifacts {
  const get = (part: string): Uint8Array => {
    const bytes = parts[part]
    if (!bytes) throw new OmegaError('E_INTEGRITY', `model part "${part}" is missing`, { details: { part } })
    return bytes
  }
  return {
    kindMeta,
    partNames: Object.keys(parts),
    bytes: async (part) => get(part),
    async *stream(part) {
      yield get(part)
    },
    size: (part) => get(part).byteLength,
  }
}

function asWorkerError(err: unknown, task: ModelTask): OmegaError {
  if (OmegaError.is(err)) return err
  const message = err instanceof Error ? err.message : String(err)
  return new OmegaError('E_WORKER', `${task.model.kind} ${task.op} of "${task.model.name}@${task.model.version}" failed: ${message}`, {
    cause: err,
    details: { kind: task.model.kind, op: task.op, name: task.model.name, version: task.model.version },
  })
}
