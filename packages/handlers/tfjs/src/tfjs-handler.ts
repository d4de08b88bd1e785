import type * as TF from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import {
  OmegaError,
  errors,
  throwIfAborted,
  type Artifacts,
  type HandlerContext,
  type JsonObject,
  type ModelCallOptions,
  type ModelData,
  type ModelHandler,
  type StoredArtifacts,
  type Tensor,
} from '@omega/core'
import { loadModel, modelArtifacts, ownOptimizer } from './layers-artifacts.js'
import { isLayersModel, type LayersModelLike } from './layers-model-like.js'
import { fromTf, inputTensors, targetTensors } from './tensor-conversion.js'
import { optimizer } from './optimizers.js'
import { fitParams, historyMetrics, type FitParams } from './training-options.js'
import { loadTf, type Tf } from './tfjs-runtime.js'

/** The training history of a model's last fit, until the runtime stores it as attributes.metrics. */
const HISTORY = new WeakMap<object, JsonObject>()

/**
 * Kind `tfjs.layers`: TensorFlow.js layers models (`tf.sequential`, functional `tf.model`), compiled
 * or not, from any copy of tfjs. Stored as tfjs's own artifacts: topology, weight specs and training
 * config (loss, metrics, optimizer) in kindMeta, the weights and the optimizer's state as one part,
 * so a compiled model comes back compiled and continues training where it stopped. `get` returns a
 * `tf.LayersModel` of this thread's tfjs whose predictions equal the original's bit for bit (same backend).
 *
 * Runtime: `fit` (params `epochs`, `batchSize`, `validationSplit`, `shuffle`, `compile`; history in
 * `attributes.metrics`, epochs through `onProgress`), `partialFit` (one pass), `predict` (the model's
 * outputs), `predictProba` (binary sigmoid outputs as two columns), `score` (`evaluate()`'s loss, or
 * `params.metric`). Every tensor a call creates is disposed.
 */
export class TfjsLayersHandler implements ModelHandler<LayersModelLike> {
  readonly kind = 'tfjs.layers'
  readonly stores = ['models'] as const

  supports(value: unknown): boolean {
    return isLayersModel(value)
  }

  async serialize(value: LayersModelLike, context: HandlerContext): Promise<Artifacts> {
    if (!isLayersModel(value)) throw errors.invalidArgument(`"${context.name}" is not a TensorFlow.js layers model`)
    return await modelArtifacts(value)
  }

  async deserialize(stored: StoredArtifacts, context: HandlerContext): Promise<LayersModelLike> {
    const tf = await loadTf()
    return (await loadModel(tf, stored, stored.name ?? context.name)) as unknown as LayersModelLike
  }

  async fit(model: LayersModelLike, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions): Promise<LayersModelLike> {
    return await this.#train(model, X, Y, options, 'fit')
  }

  /** One pass over the batch (one epoch, in mini-batches of `params.batchSize`). */
  async partialFit(model: LayersModelLike, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions): Promise<LayersModelLike> {
    return await this.#train(model, X, Y, options, 'partialFit')
  }

  metrics(model: LayersModelLike): JsonObject | undefined {
    return HISTORY.get(model)
  }

  async predict(model: LayersModelLike, X: ModelData): Promise<Tensor | Record<string, Tensor>> {
    const tf = await loadTf()
    return withInputs(tf, model, X, (xs) => {
      const out = model.predict(xs.length === 1 ? xs[0] : xs) as TF.Tensor | TF.Tensor[]
      try {
        if (!Array.isArray(out)) return fromTf(out)
        return Object.fromEntries(out.map((t, i) => [model.outputNames[i] ?? `output${i}`, fromTf(t)]))
      } finally {
        tf.dispose(out)
      }
    })
  }

  /** Class probabilities: a softmax output as it is, one sigmoid unit `p` as two columns `[1 - p, p]`. */
  async predictProba(model: LayersModelLike, X: ModelData): Promise<Tensor> {
    if (model.outputs.length !== 1) throw errors.unsupported(`tfjs.layers predictProba needs a single-output model; this one has ${model.outputs.length} (use predict)`, { kind: this.kind, op: 'predictProba' })
    const tf = await loadTf()
    return withInputs(tf, model, X, (xs) => {
      const proba = tf.tidy(() => {
        const p = model.predict(xs.length === 1 ? xs[0] : xs) as TF.Tensor
        return p.rank === 2 && p.shape[1] === 1 ? tf.concat([tf.sub(1, p), p], 1) : p
      })
      try {
        return fromTf(proba)
      } finally {
        proba.dispose()
      }
    })
  }

  /** `evaluate()` of the compiled loss, or of the metric named by `params.metric` (`acc`, `mse`…). */
  async score(model: LayersModelLike, X: ModelData, Y: ModelData, options: ModelCallOptions): Promise<number> {
    const tf = await loadTf()
    const name = modelName(model)
    if (model.optimizer == null) throw errors.invalidArgument(`${name} is not compiled: score is evaluate() of the compiled loss; compile the model before put, or fit it with params.compile`)
    const metric = options.params?.metric
    const names = (model as unknown as { metricsNames?: string[] }).metricsNames ?? ['loss']
    if (metric !== undefined && (typeof metric !== 'string' || !names.includes(metric))) {
      throw errors.invalidArgument(`params.metric must name one of the compiled metrics: ${names.join(', ')}`)
    }
    const batchSize = options.params?.batchSize
    return withInputs(tf, model, X, (xs) => {
      const ys = guard(() => targetTensors(tf, model, Y, name))
      try {
        const out = guard(() => model.evaluate(xs.length === 1 ? xs[0] : xs, ys.length === 1 ? ys[0] : ys, typeof batchSize === 'number' ? { batchSize } : {}) as TF.Scalar | TF.Scalar[])
        try {
          const values = (Array.isArray(out) ? out : [out]).map((t) => t.dataSync()[0]!)
          return values[metric === undefined ? 0 : names.indexOf(metric as string)]!
        } finally {
          tf.dispose(out)
        }
      } finally {
        tf.dispose(ys)
      }
    })
  }

  async #train(model: LayersModelLike, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions, op: 'fit' | 'partialFit'): Promise<LayersModelLike> {
    const params = fitParams(options.params, op)
    const tf = await loadTf()
    const name = modelName(model)
    if (!Y) throw errors.invalidArgument(`${op} of a TensorFlow.js model needs Y (the targets)`)
    compileIfAsked(tf, model, params, name)
    const epochs = op === 'fit' ? (params.epochs ?? 1) : 1
    const xs = inputTensors(tf, model, X, name)
    let ys: TF.Tensor[] = []
    const stop = (): void => {
      ;(model as unknown as { stopTraining: boolean }).stopTraining = true
    }
    options.signal?.addEventListener('abort', stop, { once: true })
    try {
      ys = guard(() => targetTensors(tf, model, Y, name))
      const history = (await guardAsync(() =>
        model.fit(xs.length === 1 ? xs[0] : xs, ys.length === 1 ? ys[0] : ys, {
          epochs,
          ...(params.batchSize !== undefined && { batchSize: params.batchSize }),
          ...(params.validationSplit !== undefined && { validationSplit: params.validationSplit }),
          ...(params.shuffle !== undefined && { shuffle: params.shuffle }),
          verbose: 0,
          callbacks: {
            onEpochEnd: async (epoch: number, logs?: Record<string, number>) => {
              const loss = logs?.loss
              options.onProgress?.({ done: epoch + 1, total: epochs, ...(loss !== undefined && { message: `loss ${loss}` }) })
            },
          },
        }),
      )) as { history: Record<string, unknown[]>; epoch: number[] }
      throwIfAborted(options.signal)
      HISTORY.set(model, historyMetrics(history.history, history.epoch.length, tf.getBackend()))
      return model
    } finally {
      options.signal?.removeEventListener('abort', stop)
      tf.dispose([...xs, ...ys])
    }
  }
}

function modelName(model: LayersModelLike): string {
  return `the TensorFlow.js model "${model.name}"`
}

function compileIfAsked(tf: Tf, model: LayersModelLike, params: FitParams, name: string): void {
  const c = params.compile
  if (c) {
    const previous = model.optimizer as { dispose?: () => void } | null | undefined
    ;(model as unknown as LayersModel).compile({ optimizer: optimizer(tf, c), loss: c.loss as string | string[], ...(c.metrics && { metrics: [...c.metrics] }) })
    if (previous && previous !== model.optimizer) previous.dispose?.()
    ownOptimizer(model)
    return
  }
  if (model.optimizer == null) {
    throw errors.invalidArgument(
      `${name} is not compiled, so it cannot be trained: call model.compile({ optimizer, loss }) before put, or pass params.compile, e.g. { compile: { optimizer: "adam", loss: "binaryCrossentropy", metrics: ["accuracy"] } }`,
    )
  }
}

/** Runs `fn` on X as tfjs tensors, disposed afterwards. */
function withInputs<T>(tf: Tf, model: LayersModelLike, X: ModelData, fn: (xs: TF.Tensor[]) => T): T {
  const xs = inputTensors(tf, model, X, modelName(model))
  try {
    return guard(() => fn(xs))
  } finally {
    tf.dispose(xs)
  }
}

/** tfjs's own input errors (`ValueError`) as omega codes: shapes → E_DATA_SHAPE, the rest → E_INVALID_ARGUMENT. */
function translate(err: unknown): unknown {
  if (OmegaError.is(err) || !(err instanceof Error) || err.name !== 'ValueError') return err
  const code = /shape|dimension|expected|rank|batch/i.test(err.message) ? 'E_DATA_SHAPE' : 'E_INVALID_ARGUMENT'
  return new OmegaError(code, `TensorFlow.js refused the data: ${err.message}`, { cause: err })
}

function guard<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw translate(err)
  }
}

async function guardAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw translate(err)
  }
}
