import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { isMainThread } from 'node:worker_threads'
import type { InferenceSession } from 'onnxruntime-common'
import {
  OmegaError,
  errors,
  isFileRef,
  isPlainObject,
  sha256Hex,
  type Artifacts,
  type HandlerContext,
  type JsonObject,
  type ModelCallOptions,
  type ModelData,
  type ModelHandler,
  type StoredArtifacts,
  type Tensor,
} from '@omega/core'
import { readOnnxHeader } from './onnx-header.js'
import { OnnxModel, type OnnxValueInfo } from './onnx-model.js'
import { loadOrt, type OrtRuntime } from './ort-runtime.js'

/** Session options omega passes to onnxruntime (per model at put, per call in `params.sessionOptions`). */
export interface OnnxSessionOptions extends JsonObject {}

const SESSION_KEYS = ['intraOpNumThreads', 'interOpNumThreads', 'graphOptimizationLevel', 'executionProviders', 'executionMode', 'enableCpuMemArena', 'enableMemPattern', 'logSeverityLevel'] as const

function sessionOptions(...sources: unknown[]): InferenceSession.SessionOptions {
  const out: Record<string, unknown> = {}
  for (const source of sources) {
    if (!isPlainObject(source)) continue
    for (const key of SESSION_KEYS) if (source[key] !== undefined) out[key] = source[key]
  }
  return out as InferenceSession.SessionOptions
}

async function createSession(ort: OrtRuntime, source: string | Uint8Array, options: InferenceSession.SessionOptions, what: string): Promise<InferenceSession> {
  try {
    return await ort.create(source, options)
  } catch (err) {
    throw new OmegaError('E_MODEL_LOAD', `${what} is not a loadable ONNX model: ${(err as Error).message}`, { cause: err })
  }
}

function describe(session: InferenceSession): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
  const info = (m: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[]): OnnxValueInfo[] =>
    m.map((v) => ({ name: v.name, type: v.isTensor ? (v.type ?? 'unknown') : 'non-tensor', shape: v.isTensor ? [...(v.shape ?? [])] : [] }))
  return { inputs: info(session.inputMetadata as never), outputs: info(session.outputMetadata as never) }
}

/** True for `{ path }` naming an `.onnx` file. */
function isOnnxPath(value: unknown): value is { path: string } {
  return isFileRef(value) && value.path.toLowerCase().endsWith('.onnx')
}

/**
 * Kind `onnx.model`: an ONNX file from bytes or `{ path }`, validated at put by creating a session
 * (a corrupt file or an op the runtime cannot run is E_MODEL_LOAD and nothing is stored). kindMeta
 * records inputs and outputs (names, element types, shapes with symbolic dims), opset imports,
 * producer, IR version, size and sha256. A `{ path }` is validated by onnxruntime from the file and
 * streamed into storage, never held in memory by omega. Inference only: fit is E_UNSUPPORTED.
 */
export class OnnxHandler implements ModelHandler<OnnxModel> {
  readonly kind = 'onnx.model'
  readonly stores = ['models'] as const

  supports(value: unknown): boolean {
    return value instanceof OnnxModel || value instanceof Uint8Array || isOnnxPath(value)
  }

  async serialize(value: OnnxModel | Uint8Array | { path: string }, context: HandlerContext): Promise<Artifacts> {
    const attributes = context.options.attributes as JsonObject | undefined
    const putOptions = sessionOptions(attributes?.sessionOptions, context.options.sessionOptions)
    const bytes = value instanceof OnnxModel ? value.bytes : value instanceof Uint8Array ? value : undefined
    const path = bytes ? undefined : (value as { path: string }).path
    const session = await createSession(await loadOrt(), path ?? bytes!, putOptions, path ? `"${path}"` : `the bytes given for "${context.name}"`)
    try {
      const header = await readOnnxHeader(bytes ?? { path: path! })
      const size = bytes ? bytes.byteLength : (await stat(path!)).size
      const sha256 = bytes ? sha256Hex(bytes) : await hashFile(path!)
      const inputColumns = context.options.inputColumns ?? attributes?.inputColumns
      const graph = describe(session)
      const featureNames = checkFeatureNames(context.options.featureNames ?? attributes?.featureNames, graph.inputs)
      const kindMeta: JsonObject = {
        ...graph,
        irVersion: header.irVersion ?? null,
        producer: { name: header.producerName ?? '', version: header.producerVersion ?? '' },
        opsets: header.opsets,
        size,
        sha256,
        ...(Object.keys(putOptions).length > 0 && { sessionOptions: putOptions as JsonObject }),
        ...(isPlainObject(inputColumns) && { inputColumns: inputColumns as JsonObject }),
        ...(featureNames && { featureNames }),
      } as unknown as JsonObject
      return { kindMeta, parts: { model: bytes ?? createReadStream(path!, { highWaterMark: 4 * 1024 * 1024 }) } }
    } finally {
      await session.release()
    }
  }

  async deserialize(stored: StoredArtifacts, context: HandlerContext): Promise<OnnxModel> {
    const storedOptions = checkStoredSessionOptions(stored.kindMeta.sessionOptions, context.name)
    const bytes = await stored.bytes('model')
    // In a pool worker the pool is the parallelism: one intra-op thread per session avoids
    // oversubscribing the cores (a model's or a call's sessionOptions still win).
    const defaults = isMainThread ? {} : { intraOpNumThreads: 1, interOpNumThreads: 1 }
    const options = sessionOptions(defaults, storedOptions, context.options.sessionOptions)
    const ort = await loadOrt()
    const session = await createSession(ort, bytes, options, `stored model "${context.name}"`)
    // onnxruntime validated the graph; inputs and outputs come from it, not from stored JSON, and
    // the stored column mappings must name its inputs.
    try {
      const graph = describe(session)
      checkFeatureNames(stored.kindMeta.featureNames, graph.inputs)
      checkInputColumns(stored.kindMeta.inputColumns, graph.inputs)
      return new OnnxModel(session, { ...stored.kindMeta, ...graph } as unknown as JsonObject, bytes, ort.Tensor)
    } catch (err) {
      await session.release()
      throw new OmegaError('E_MODEL_LOAD', `stored model "${context.name}" has metadata that does not fit its graph: ${(err as Error).message}; put it again`, {
        cause: err,
        details: { name: context.name, kind: this.kind },
      })
    }
  }

  /**
   * Rows may be stacked when every input has a free leading (batch) dimension; a graph with a fixed
   * batch size, or a model put with `attributes.batching: false`, is never merged.
   */
  rowIndependent(kindMeta: JsonObject): boolean {
    const inputs = kindMeta.inputs as unknown as OnnxValueInfo[] | undefined
    return Array.isArray(inputs) && inputs.length > 0 && inputs.every((i) => Array.isArray(i.shape) && i.shape.length > 0 && (typeof i.shape[0] === 'string' || (i.shape[0] as number) < 0))
  }

  async predict(model: OnnxModel, X: ModelData, options: ModelCallOptions): Promise<Tensor | Record<string, Tensor>> {
    const outputs = options.params?.outputs
    if (outputs !== undefined && (!Array.isArray(outputs) || outputs.some((o) => typeof o !== 'string'))) {
      throw errors.invalidArgument('params.outputs must be an array of output names')
    }
    return await model.predict(X, outputs ? { outputs: outputs as string[] } : {})
  }

  /** The model's probability output (named like "prob…"), for classifiers exported from scikit-learn or torch. */
  async predictProba(model: OnnxModel, X: ModelData): Promise<Tensor> {
    const name = model.outputs.find((o) => /prob/i.test(o.name))?.name
    if (!name) throw errors.unsupported(`onnx.model has no probability output (outputs: ${model.outputs.map((o) => o.name).join(', ')}); use predict with params.outputs`, { kind: this.kind, op: 'predictProba' })
    return (await model.predict(X, { outputs: [name] })) as Tensor
  }
}

/**
 * `featureNames` (put option or attribute): the column names of a single-input model's features,
 * in the graph's order, so tables and records are matched by name at predict.
 */
function checkFeatureNames(value: unknown, inputs: readonly OnnxValueInfo[]): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
    throw errors.invalidArgument('featureNames must be a non-empty array of column names')
  }
  if (inputs.length !== 1) throw errors.invalidArgument(`featureNames is for single-input models; this one has ${inputs.length} inputs (use inputColumns)`)
  const width = inputs[0]!.shape[1]
  if (typeof width === 'number' && width >= 0 && width !== value.length) {
    throw errors.invalidArgument(`featureNames lists ${value.length} columns but input "${inputs[0]!.name}" takes ${width}`, { expected: width, got: value.length })
  }
  return value as string[]
}

/** A stored `inputColumns`: input name → column names, for inputs the graph has. */
function checkInputColumns(value: unknown, inputs: readonly OnnxValueInfo[]): void {
  if (value === undefined) return
  const names = new Set(inputs.map((i) => i.name))
  if (!isPlainObject(value) || Object.entries(value).some(([k, v]) => !names.has(k) || !Array.isArray(v) || v.some((c) => typeof c !== 'string'))) {
    throw errors.invalidArgument(`inputColumns must map this model's inputs (${[...names].join(', ')}) to column names`)
  }
}

const THREADS = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 1024
const STORED_SESSION_OPTIONS: Record<(typeof SESSION_KEYS)[number], (v: unknown) => boolean> = {
  intraOpNumThreads: THREADS,
  interOpNumThreads: THREADS,
  graphOptimizationLevel: (v) => ['disabled', 'basic', 'extended', 'all'].includes(v as string),
  executionProviders: (v) => Array.isArray(v) && v.length <= 16 && v.every((p) => typeof p === 'string' || (isPlainObject(p) && typeof p.name === 'string')),
  executionMode: (v) => v === 'sequential' || v === 'parallel',
  enableCpuMemArena: (v) => typeof v === 'boolean',
  enableMemPattern: (v) => typeof v === 'boolean',
  logSeverityLevel: (v) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 4,
}

/** Stored session options, checked before onnxruntime gets them (a stored `intraOpNumThreads: 1e9` is refused). */
function checkStoredSessionOptions(value: unknown, name: string): unknown {
  if (value === undefined) return undefined
  const bad = !isPlainObject(value) ? 'sessionOptions' : SESSION_KEYS.find((k) => value[k] !== undefined && !STORED_SESSION_OPTIONS[k](value[k]))
  if (bad) throw new OmegaError('E_MODEL_LOAD', `stored model "${name}" has an invalid ${bad} in its metadata; put it again`, { details: { name, kind: 'onnx.model' } })
  return value
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
