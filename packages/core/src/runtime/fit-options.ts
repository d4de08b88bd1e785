import type { JsonObject } from '../json.js'
import type { ModelRunOptions } from './model-proxy.js'

/**
 * Options of fit and partialFit. `epochs`, `batchSize` and `validationSplit` are shorthand for the
 * same keys in `params`, for frameworks that train in epochs (TensorFlow.js); `params` wins if both
 * name one.
 */
export interface FitOptions extends ModelRunOptions {
  readonly epochs?: number
  readonly batchSize?: number
  readonly validationSplit?: number
}

const TRAINING_KEYS = ['epochs', 'batchSize', 'validationSplit'] as const

/** The hyper-parameters of a fit: `params` with the shorthand training options folded in. */
export function fitParams(options: FitOptions): JsonObject | undefined {
  const given = TRAINING_KEYS.filter((k) => options[k] !== undefined)
  if (given.length === 0) return options.params
  return { ...Object.fromEntries(given.map((k) => [k, options[k] as number])), ...options.params }
}

