import type { RecordBatch, Table } from 'apache-arrow'
import { OmegaError, errors } from '../errors.js'
import type { JsonObject } from '../json.js'
import { fitParams, type FitOptions } from './fit-options.js'
import { Tensor, type isTensor } from '../data/tensor.js'
import { isArrowTable } from '../data/arrow.js'
import { parseName } from '../names/name-grammar.js'
import { atVersion, isChunked, lineage, recordedFit, sameModel, starName } from './fit-lineage.js'
import type { Metadata } from '../store/metadata.js'
import type { ModelStore } from '../store/model-store.js'
import type { DatasetStore } from '../store/dataset-store.js'
import type { LiveInputs } from './execute-task.js'
import { runGridsearch, type GridsearchOptions } from './gridsearch.js'
import { encodeInput, toModelInput } from './task-codec.js'
import { matchFeatures, type FittedFeatures } from './feature-check.js'
import { resolved, type ResolvedInput } from './resolved-input.js'
import { handlerProgress } from './handler-progress.js'
import { decodePrediction, predictionTable, type Prediction } from './prediction.js'
import type { BatchingOptions, EncodedData, ModelTask, Progress, RunOptions, Runtime, TaskModel, TaskOperation, TaskOutcome, TaskResult } from './runtime.js'
import { abortError } from './inline-runtime.js'
import { batchHint } from './batching-policy.js'
import { checkRoute } from './runtime-route.js'

export type { Progress } from './runtime.js'

/** Options of every runtime call. */
export interface ModelRunOptions extends RunOptions {
  /** Hyper-parameters to set before fitting, or handler options for inference (ONNX `outputs`…). */
  readonly params?: JsonObject
  readonly onProgress?: (progress: Progress) => void
  /**
   * predict, predictProba, transform on the pool: `false` keeps this call out of dynamic batching;
   * `{ maxBatch, maxDelayMs }` overrides the model's and the pool's limits (and opts in a model
   * whose handler does not declare its rows independent).
   */
  readonly batching?: false | BatchingOptions
}

/** Options of predict: `rName` stores the predictions as a dataset and returns its metadata. */
export interface PredictOptions extends ModelRunOptions {
  readonly rName?: string
}

export type { Prediction } from './prediction.js'

/** Data given inline to a model: an Arrow table or record batch, records, rows (`number[][]`), one value per row (`number[]`) or a Tensor. */
export type InlineData = Table | RecordBatch | Tensor | readonly Record<string, unknown>[] | readonly (readonly number[])[] | readonly number[]

/**
 * X or Y of a runtime call: a dataset name (selectors allowed, `*` = the last fit's), inline data,
 * or a record of inline data per input for multi-input models (`{ sepal: [[…]], petal: [[…]] }`).
 */
export type DataArg = string | InlineData | Readonly<Record<string, InlineData>>

/** What the runtime facade gives each proxy: the stores, the runtime and call tracking of an instance. */
export interface RuntimeContext {
  readonly models: ModelStore
  readonly datasets: DatasetStore
  runtime(): Promise<Runtime>
  /** Runs a call so that `close()` waits for (or aborts) it; the signal fires when the instance closes with abort. */
  track<T>(fn: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined): Promise<T>
  /** The metadata of the model version a name addresses (remembered between calls where that is safe). */
  version(nameRef: string): Promise<Metadata>
  /** Whether the model's handler declares its rows independent (dynamic batching). */
  rowIndependent(meta: Metadata): boolean
  /** A version's parts, read once for concurrent calls that all need them. */
  parts(meta: Metadata): Promise<Record<string, Uint8Array>>
  /** The signal `track` gives calls without one of their own; closing the runtime ends their tasks. */
  readonly closeSignal: AbortSignal
  /** Where tasks must run (`om.runtime.require({ label })`). */
  readonly label?: string
}

export type { ResolvedInput } from './resolved-input.js'

/**
 * `om.runtime.model(name)`: runs fit, partialFit, predict, predictProba, transform, score and
 * gridsearch on the runtime. The main thread resolves names and reads model bytes and data, the
 * runtime computes, and the main thread commits results, so a failed, aborted or crashed call
 * stores nothing.
 */
export class ModelProxy {
  constructor(
    readonly ctx: RuntimeContext,
    readonly nameRef: string,
  ) {}

  /** Fits and stores the fitted model as a new version (parent: the version fitted from). */
  async fit(X: DataArg, Y?: DataArg, fitOptions: FitOptions = {}): Promise<Metadata> {
    const params = fitParams(fitOptions)
    const options: ModelRunOptions = params === fitOptions.params ? fitOptions : { ...fitOptions, params }
    return await this.ctx.track(async (signal) => {
      const meta = await this.ctx.version(this.nameRef)
      if (isChunked(X)) throw errors.invalidArgument(`fit takes a whole dataset; use partialFit("${String(X)}") to learn chunk by chunk`)
      const [x, y] = await this.#inputs(meta, X, Y, signal)
      const progress = handlerProgress(options.onProgress)
      const result = await this.run('fit', meta, { x, y, params: options.params, parts: await this.ctx.models.parts(meta, signal), progress: progress.report }, options, signal)
      progress.finish()
      return await this.#commit(meta, result, { dataset: lineage(x, y, 'fit', options.params), features: x.features }, signal)
    }, options.signal)
  }

  /** Updates the model with one batch, or chunk by chunk for `name#iterchunks:chunksize=N`; stores one new version. */
  async partialFit(X: DataArg, Y?: DataArg, fitOptions: FitOptions = {}): Promise<Metadata> {
    const params = fitParams(fitOptions)
    const options: ModelRunOptions = params === fitOptions.params ? fitOptions : { ...fitOptions, params }
    return await this.ctx.track(async (signal) => {
      const meta = await this.ctx.version(this.nameRef)
      if (!isChunked(X)) {
        const [x, y] = await this.#inputs(meta, X, Y, signal)
        const progress = handlerProgress(options.onProgress)
        const result = await this.run('partialFit', meta, { x, y, params: options.params, parts: await this.ctx.models.parts(meta, signal), progress: progress.report }, options, signal)
        progress.finish()
        return await this.#commit(meta, result, { dataset: lineage(x, y, 'partialFit', options.params), features: x.features }, signal)
      }
      return await this.#partialFitChunks(meta, X as string, Y, options, signal)
    }, options.signal)
  }

  /**
   * Predictions: a Tensor, or a record of tensors (output name → Tensor) for a multi-output model
   * (ONNX graphs with several outputs, unless `params.outputs` names one). Narrow the result with
   * {@link isTensor}, or name the shape your model gives: `predict<Tensor>(X)` (not checked at
   * run time). With `rName`, the predictions are stored as that dataset and its `Metadata` is returned.
   * X is checked against the features the model was fitted on (as in predictProba, transform and
   * score): a table's columns by name, reordered to the fitted order; rows and tensors by width.
   *
   * @typeParam T - the prediction's shape, if you know it (default: either)
   * @throws {OmegaError} E_DATA_SHAPE naming a missing, unknown or non-numeric column and listing the expected ones, or the width
   */
  async predict(X: DataArg, options: PredictOptions & { readonly rName: string }): Promise<Metadata>
  async predict<T extends Prediction = Prediction>(X: DataArg, options?: PredictOptions & { readonly rName?: undefined }): Promise<T>
  async predict(X: DataArg, options?: PredictOptions): Promise<Prediction | Metadata>
  async predict(X: DataArg, options: PredictOptions = {}): Promise<Prediction | Metadata> {
    return await this.ctx.track(async (signal) => {
      const meta = await this.ctx.version(this.nameRef)
      const [x] = await this.#inputs(meta, X, undefined, signal, true)
      const result = await this.run('predict', meta, { x, params: options.params, progress: options.onProgress }, options, signal)
      const prediction = decodePrediction(result)
      if (options.rName === undefined) return prediction
      const attributes: JsonObject = { model: `${meta.name}@${meta.version}`, ...(x.name !== undefined && { X: x.name }) }
      return await this.ctx.datasets.put(predictionTable(prediction), options.rName, { attributes })
    }, options.signal)
  }

  /** Class probabilities, one row per input row. */
  async predictProba(X: DataArg, options: ModelRunOptions = {}): Promise<Tensor> {
    return await this.#infer('predictProba', X, options)
  }

  /** The model's transform of X (scalers, decompositions). */
  async transform(X: DataArg, options: ModelRunOptions = {}): Promise<Tensor> {
    return await this.#infer('transform', X, options)
  }

  /** The model's score on X and Y (accuracy for classifiers, R² for regressors in ml.js). */
  async score(X: DataArg, Y: DataArg, options: ModelRunOptions = {}): Promise<number> {
    return await this.ctx.track(async (signal) => {
      const meta = await this.ctx.version(this.nameRef)
      const [x, y] = await this.#inputs(meta, X, Y, signal, true)
      const result = await this.run('score', meta, { x, y, params: options.params, progress: options.onProgress }, options, signal)
      if (result.type !== 'number') throw errors.unsupported('score returned no number')
      return result.value
    }, options.signal)
  }

  /**
   * Cross-validated search over hyper-parameters: every combination × fold runs as its own task
   * (in parallel on the pool); the best combination is fitted on all the data and stored as a new
   * version with `attributes.gridsearch = { params, cv, scoring, scores, best }`.
   */
  async gridsearch(X: DataArg, Y: DataArg, search: GridsearchOptions, options: ModelRunOptions = {}): Promise<Metadata> {
    return await this.ctx.track(async (signal) => {
      const meta = await this.ctx.version(this.nameRef)
      const [x, y] = await this.#inputs(meta, X, Y, signal)
      const parts = await this.ctx.models.parts(meta, signal)
      const outcome = await runGridsearch(this, meta, parts, x, y!, search, options, signal)
      return await this.#commit(meta, outcome.model, { dataset: lineage(x, y, 'gridsearch', options.params), features: x.features, gridsearch: outcome.report }, signal)
    }, options.signal)
  }

  /**
   * Re-runs the fit that produced this version (`attributes.dataset`) on exactly the dataset
   * versions it recorded (`Xname@Xversion`, `Yname@Yversion`), starting from the same parent model
   * with the same `params`, and stores the result as a new version whose `attributes.refitOf`
   * names the version refitted and whether the stored bytes are identical (`same`). For a
   * deterministic estimator (a fixed seed) `same` is true: the recorded model is reproduced (a gridsearch: its search).
   *
   * @throws {OmegaError} E_INVALID_ARGUMENT if the version records no fit on stored datasets (inline data, a plain put); E_UNSUPPORTED for a gridsearch version whose record lacks the grid; E_NOT_FOUND if a recorded dataset version or the parent model version was dropped
   */
  async refit(options: ModelRunOptions = {}): Promise<Metadata> {
    return await this.ctx.track(async (signal) => {
      const meta = await this.ctx.version(this.nameRef)
      const fit = recordedFit(meta)
      const from = await this.ctx.models.version(`${meta.name}@${meta.parent}`)
      const params = fit.params ?? options.params
      const X = atVersion(fit.Xname, fit.Xversion)
      const Y = fit.Yname === undefined ? undefined : atVersion(fit.Yname, fit.Yversion)
      const refitOf = { version: meta.version!, sha256: meta.sha256 }
      const runOptions = { ...options, ...(params && { params }) }
      // Recorded as the fit recorded them: the names as given, with their versions.
      const recordAs = { X: fit.Xname, ...(fit.Yname !== undefined && { Y: fit.Yname }) }
      if (fit.chunks) return await this.#partialFitChunks(from, X, Y, runOptions, signal, { refitOf, recordAs })
      const [x, y] = await this.#inputs(from, X, Y, signal)
      const parts = await this.ctx.models.parts(from, signal)
      const progress = handlerProgress(options.onProgress)
      const outcome = fit.search
        ? await runGridsearch(this, from, parts, x, y, fit.search, runOptions, signal)
        : { model: await this.run(fit.op as TaskOperation, from, { x, y, params, parts, progress: progress.report }, options, signal), report: undefined }
      if (!fit.search) progress.finish()
      const dataset = lineage({ ...x, name: recordAs.X }, y && { ...y, name: fit.Yname! }, fit.op, params)
      return await this.#commit(from, outcome.model, { dataset, features: x.features, gridsearch: outcome.report, refitOf }, signal)
    }, options.signal)
  }

  /**
   * Runs one task on the runtime: inputs are passed decoded to a same-thread runtime and encoded
   * (transferred when omega owns the bytes) to others; a cache miss in the executor is answered
   * by sending the model's bytes. `progress` receives what the handler reports while it runs. @internal
   */
  async run(
    op: TaskOperation,
    meta: Metadata,
    io: {
      x?: ResolvedInput
      y?: ResolvedInput | undefined
      params?: JsonObject | undefined
      parts?: Record<string, Uint8Array>
      extra?: Partial<ModelTask>
      progress?: ((progress: Progress) => void) | undefined
    },
    options: RunOptions,
    signal: AbortSignal | undefined,
  ): Promise<TaskResult> {
    const runtime = await this.ctx.runtime()
    const label = this.ctx.label
    if (label !== undefined) checkRoute(runtime, label)
    const sameThread = (runtime as { sameThread?: boolean }).sameThread === true
    const live: LiveInputs = sameThread ? { ...(io.x && { X: io.x.input }), ...(io.y && { Y: io.y.input }) } : {}
    const batch = sameThread || io.progress ? undefined : batchHint(op, meta, (options as ModelRunOptions).batching, () => this.ctx.rowIndependent(meta))
    // Encoded inputs are transferred, which detaches them: each attempt encodes afresh, and an
    // attempt that may be retried (no model bytes sent) never transfers a caller's or a tensor's own
    // buffer. A runtime that batches copies a batchable task's rows itself and never transfers them.
    const copied = !(batch && (runtime as { batches?: boolean }).batches === true)
    const encode = (input: ResolvedInput | undefined, retriable: boolean): EncodedData | undefined =>
      sameThread || !input ? undefined : encodeInput(input.input, copied && (retriable || !input.owned))
    const byName = runtime.readsStore === true
    const Xref = byName ? io.x?.stored : undefined
    const Yref = byName ? io.y?.stored : undefined
    const build = (parts: Record<string, Uint8Array> | undefined): ModelTask => {
      const X = Xref ? undefined : encode(io.x, parts === undefined)
      const Y = Yref ? undefined : encode(io.y, parts === undefined)
      const model: TaskModel = { name: meta.name, version: meta.version!, sha256: meta.sha256, kind: meta.kind, kindMeta: meta.kindMeta, bucket: this.ctx.models.bucket, ...(parts && { parts }) }
      return { type: 'model', op, model, ...(X && { X }), ...(Y && { Y }), ...(Xref && { Xref }), ...(Yref && { Yref }), ...(io.params && { params: io.params }), ...io.extra }
    }
    // The instance's shared close signal is not handed on: the runtime's own close stops those tasks.
    const runSignal = signal === this.ctx.closeSignal ? undefined : signal
    const runOptions = {
      ...(runSignal && { signal: runSignal }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      ...(io.progress && { onProgress: io.progress }),
      ...(batch && { batch }),
      ...(label !== undefined && { label }),
      live,
    }
    let outcome: TaskOutcome
    try {
      outcome = await runtime.run(build(io.parts), runOptions)
      if (!outcome.ok && 'missingModel' in outcome) outcome = await runtime.run(build(await this.ctx.parts(meta)), runOptions)
    } catch (err) {
      if (signal?.aborted) throw abortError(signal)
      throw err
    }
    if (outcome.ok) return outcome.result
    if ('missingModel' in outcome) throw new OmegaError('E_WORKER', 'the runtime asked for the model twice')
    throw OmegaError.fromJSON(outcome.error)
  }

  async #infer(op: 'predictProba' | 'transform', X: DataArg, options: ModelRunOptions): Promise<Tensor> {
    return await this.ctx.track(async (signal) => {
      const meta = await this.ctx.version(this.nameRef)
      const [x] = await this.#inputs(meta, X, undefined, signal, true)
      const result = await this.run(op, meta, { x, params: options.params, progress: options.onProgress }, options, signal)
      const out = decodePrediction(result)
      if (!(out instanceof Tensor)) throw errors.unsupported(`${op} returned several outputs`)
      return out
    }, options.signal)
  }

  async #partialFitChunks(
    meta: Metadata,
    X: string,
    Y: DataArg | undefined,
    options: ModelRunOptions,
    signal: AbortSignal | undefined,
    refit?: { refitOf: JsonObject; recordAs: { X: string; Y?: string } },
  ): Promise<Metadata> {
    const given = starName(meta, X, 'X')
    const givenY = Y === undefined ? undefined : typeof Y === 'string' ? starName(meta, Y, 'Y') : undefined
    if (Y !== undefined && (givenY === undefined || !isChunked(givenY))) {
      throw errors.invalidArgument(`with a chunked X ("${given}"), Y must be a chunked dataset name too (e.g. "data[y]#iterchunks:chunksize=N")`)
    }
    const xMeta = await this.#datasetMeta(given)
    const yMeta = givenY === undefined ? undefined : await this.#datasetMeta(givenY)
    // Every chunk comes from the version resolved now, whatever is put meanwhile.
    const xName = atVersion(given, xMeta.version)
    const yName = givenY === undefined ? undefined : atVersion(givenY, yMeta!.version)
    const ys = yName === undefined ? undefined : this.ctx.datasets.iter(yName, { ...(signal && { signal }) })[Symbol.asyncIterator]()
    let current: { kind: string; kindMeta: JsonObject; parts: Record<string, Uint8Array>; metrics?: JsonObject } = { kind: meta.kind, kindMeta: meta.kindMeta, parts: await this.ctx.models.parts(meta, signal) }
    let rows = 0
    let chunks = 0
    let features: ResolvedInput['features'] | undefined
    const total = Math.ceil(((xMeta.kindMeta.rows as number | undefined) ?? 0) / Number(parseName(xName).operation!.args.chunksize)) || undefined
    for await (const chunk of this.ctx.datasets.iter(xName, { ...(signal && { signal }) })) {
      const yChunk = ys ? (await ys.next()).value as Table | undefined : undefined
      if (ys && (!yChunk || yChunk.numRows !== chunk.numRows)) throw errors.dataShape(`chunk ${chunks} of Y does not match X (${yChunk?.numRows ?? 0} vs ${chunk.numRows} rows)`)
      const x = resolved(chunk, true, xName, xMeta.sha256, xMeta.version)
      features ??= x.features
      const y = yChunk && resolved(yChunk, true, yName, yMeta?.sha256, yMeta?.version)
      const step = { ...meta, kind: current.kind, kindMeta: current.kindMeta }
      const result = await this.run('partialFit', step, { x, y, params: options.params, parts: current.parts }, options, signal)
      if (result.type !== 'model') throw errors.unsupported('partialFit returned no model')
      // The last chunk's metrics describe the model committed.
      current = { kind: result.kind, kindMeta: result.kindMeta, parts: { ...result.parts }, ...(result.metrics && { metrics: result.metrics }) }
      rows += chunk.numRows
      chunks++
      options.onProgress?.({ done: chunks, ...(total !== undefined && { total }), message: `${rows} rows` })
    }
    if (chunks === 0) throw errors.invalidArgument(`"${xName}" has no rows to fit`)
    const dataset: JsonObject = {
      Xname: refit?.recordAs.X ?? given,
      ...(xMeta.version !== undefined && { Xversion: xMeta.version }),
      Xsha256: xMeta.sha256,
      ...(givenY !== undefined && { Yname: refit?.recordAs.Y ?? givenY, ...(yMeta!.version !== undefined && { Yversion: yMeta!.version }), Ysha256: yMeta!.sha256 }),
      rows,
      chunks,
      op: 'partialFit',
      ...(options.params && { params: options.params }),
    }
    return await this.#commit(meta, { type: 'model', ...current }, { dataset, features: features!, ...(refit && { refitOf: refit.refitOf }) }, signal)
  }

  async #inputs(meta: Metadata, X: DataArg, Y: DataArg | undefined, signal: AbortSignal | undefined, checkFeatures = false): Promise<[ResolvedInput, ResolvedInput | undefined]> {
    const x = await this.#resolve(meta, X, 'X', signal)
    const y = Y === undefined ? undefined : await this.#resolve(meta, Y, 'Y', signal)
    if (y && y.rows !== x.rows) throw errors.dataShape(`Y has ${y.rows} rows but X has ${x.rows}; they must match`, { xRows: x.rows, yRows: y.rows })
    if (!checkFeatures) return [x, y]
    const input = matchFeatures(x.input, meta.attributes.features as FittedFeatures | undefined, `${meta.name}@${meta.version}`)
    // A reordered table is no longer what the name reads: it travels as bytes.
    if (input === x.input) return [x, y]
    const { stored, ...rest } = x
    void stored
    return [{ ...rest, input }, y]
  }

  async #resolve(meta: Metadata, ref: DataArg, role: 'X' | 'Y', signal: AbortSignal | undefined): Promise<ResolvedInput> {
    if (typeof ref !== 'string') return resolved(toModelInput(ref, role), false)
    const name = starName(meta, ref, role)
    if (isChunked(name)) throw errors.invalidArgument(`${role} "${name}" is chunked; only partialFit consumes chunks`)
    const dataset = await this.#datasetMeta(name)
    // Read exactly the version whose metadata was resolved, also if another put lands meanwhile.
    const value = await this.ctx.datasets.get(atVersion(name, dataset.version), { ...(signal && { signal }) })
    if (!isArrowTable(value) && !(value instanceof Tensor)) {
      throw errors.invalidArgument(`dataset "${name}" is ${dataset.kind}; models take tables or tensors`, { name, kind: dataset.kind })
    }
    const stored = dataset.version === undefined ? undefined : { bucket: this.ctx.datasets.bucket, name: atVersion(name, dataset.version) }
    return resolved(value, true, name, dataset.sha256, dataset.version, stored)
  }

  async #datasetMeta(name: string): Promise<Metadata> {
    const meta = await this.ctx.datasets.metadata(name)
    if (!meta) throw errors.notFound('dataset', parseName(name).name, this.ctx.datasets.bucket, 'put it first, or pass the data inline')
    return meta
  }

  async #commit(
    meta: Metadata,
    result: TaskResult,
    attributes: { dataset: JsonObject; features: ResolvedInput['features']; gridsearch?: JsonObject; refitOf?: JsonObject },
    signal: AbortSignal | undefined,
  ): Promise<Metadata> {
    if (result.type !== 'model') throw errors.unsupported('the runtime returned no model to store')
    if (signal?.aborted) throw errors.aborted(signal.reason)
    const { count, names, types } = attributes.features
    const features: JsonObject = { count, ...(names && { names, ...(types && { types }) }) }
    // A refit says whether it reproduced the recorded model: the same parts give the same address.
    const refitOf = attributes.refitOf && { ...attributes.refitOf, same: sameModel(result.parts, attributes.refitOf.sha256 as string) }
    return await this.ctx.models.commitArtifacts(meta.name, result.kind, result, {
      parent: meta.version!,
      attributes: { dataset: attributes.dataset, features, ...(result.metrics && { metrics: result.metrics }), ...(attributes.gridsearch && { gridsearch: attributes.gridsearch }), ...(refitOf && { refitOf }) },
      ...(signal && { signal }),
    })
  }
}
