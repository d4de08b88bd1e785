// What fit and partialFit take in `params`, checked before tfjs sees it, and the training history
// as the JSON stored in attributes.metrics.
import { errors, isPlainObject, type JsonObject, type JsonValue } from '@omega/core'

/** `params.compile`: compiles an uncompiled model (or recompiles one) before fitting. */
export interface CompileParams {
  /** `sgd`, `momentum`, `adam`, `adamax`, `adagrad`, `adadelta` or `rmsprop`. */
  readonly optimizer: string
  /** The optimizer's learning rate (its tfjs default otherwise). */
  readonly learningRate?: number
  /** A tfjs loss name (`meanSquaredError`, `binaryCrossentropy`, `categoricalCrossentropy`, `sparseCategoricalCrossentropy`…), or one per output. */
  readonly loss: string | readonly string[]
  /** Metric names (`accuracy`, `mse`…). */
  readonly metrics?: readonly string[]
}

/** `params` of fit (partialFit takes `batchSize`, `shuffle` and `compile`: it makes one pass). */
export interface FitParams {
  /** Passes over the data. @default 1 */
  readonly epochs?: number
  /** Rows per gradient step. @default 32 */
  readonly batchSize?: number
  /** Fraction of the rows (the last ones) held out to report `val_*` metrics per epoch. @default 0 */
  readonly validationSplit?: number
  /** Shuffle the rows every epoch. @default true */
  readonly shuffle?: boolean
  readonly compile?: CompileParams
}

const FIT_KEYS = ['epochs', 'batchSize', 'validationSplit', 'shuffle', 'compile'] as const
const PARTIAL_FIT_KEYS = ['batchSize', 'shuffle', 'compile'] as const
const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamax', 'adagrad', 'adadelta', 'rmsprop'] as const

const isInt = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max

/**
 * Checks fit (or partialFit) params.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT naming the bad or unknown key and what it takes
 */
export function fitParams(params: JsonObject | undefined, op: 'fit' | 'partialFit'): FitParams {
  const p = params ?? {}
  const allowed: readonly string[] = op === 'fit' ? FIT_KEYS : PARTIAL_FIT_KEYS
  const unknown = Object.keys(p).filter((k) => !allowed.includes(k))
  if (unknown.length > 0) {
    throw errors.invalidArgument(`tfjs.layers ${op} does not take ${unknown.join(', ')}; it takes params ${allowed.join(', ')}${op === 'partialFit' ? ' (partialFit makes one pass over the batch)' : ''}`)
  }
  if (p.epochs !== undefined && !isInt(p.epochs, 1, 1_000_000)) throw errors.invalidArgument('params.epochs must be an integer from 1 to 1e6')
  if (p.batchSize !== undefined && !isInt(p.batchSize, 1, 2 ** 31 - 1)) throw errors.invalidArgument('params.batchSize must be a positive integer')
  if (p.validationSplit !== undefined && !(typeof p.validationSplit === 'number' && p.validationSplit >= 0 && p.validationSplit < 1)) {
    throw errors.invalidArgument('params.validationSplit must be a number from 0 up to (not including) 1')
  }
  if (p.shuffle !== undefined && typeof p.shuffle !== 'boolean') throw errors.invalidArgument('params.shuffle must be true or false')
  if (p.compile !== undefined) compileParams(p.compile)
  return p as unknown as FitParams
}

function compileParams(value: JsonValue): CompileParams {
  const example = '{ optimizer: "adam", loss: "binaryCrossentropy", metrics: ["accuracy"] }'
  if (!isPlainObject(value)) throw errors.invalidArgument(`params.compile must be an object like ${example}`)
  const { optimizer, learningRate, loss, metrics } = value
  if (typeof optimizer !== 'string' || !OPTIMIZERS.includes(optimizer.toLowerCase() as never)) {
    throw errors.invalidArgument(`params.compile.optimizer must be one of ${OPTIMIZERS.join(', ')}`)
  }
  if (learningRate !== undefined && !(typeof learningRate === 'number' && learningRate > 0 && Number.isFinite(learningRate))) {
    throw errors.invalidArgument('params.compile.learningRate must be a positive number')
  }
  const isNames = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string')
  if (typeof loss !== 'string' && !isNames(loss)) throw errors.invalidArgument(`params.compile.loss must be a loss name or one per output, as in ${example}`)
  if (metrics !== undefined && !isNames(metrics)) throw errors.invalidArgument('params.compile.metrics must be an array of metric names')
  return value as unknown as CompileParams
}

/** A metric value as JSON: non-finite values (a diverged loss) as the strings "NaN", "Infinity", "-Infinity". */
export function metricValue(v: unknown): number | string {
  const n = typeof v === 'number' ? v : Number(v)
  return Number.isFinite(n) ? n : String(n)
}

/**
 * The training history as `attributes.metrics`: `{ epochs, history: { loss: [...], val_loss: [...], acc: [...] },
 * final: { loss, ... }, backend }` (the tfjs backend that trained it: results differ slightly between backends), and `nonFinite: { loss: <first epoch> }` when a metric became NaN or infinite,
 * so a diverged fit is visible rather than stored as a healthy version.
 */
export function historyMetrics(history: Record<string, readonly unknown[]>, epochs: number, backend: string): JsonObject {
  const series: JsonObject = {}
  const final: JsonObject = {}
  const nonFinite: JsonObject = {}
  for (const [key, values] of Object.entries(history)) {
    const list = values.map(metricValue)
    series[key] = list
    if (list.length > 0) final[key] = list[list.length - 1]!
    const first = list.findIndex((v) => typeof v === 'string')
    if (first >= 0) nonFinite[key] = first + 1
  }
  return { epochs, history: series, final, ...(Object.keys(nonFinite).length > 0 && { nonFinite }), backend }
}
