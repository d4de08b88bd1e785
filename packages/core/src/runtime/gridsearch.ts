import { errors } from '../errors.js'
import type { JsonObject, JsonValue } from '../json.js'
import type { Metadata } from '../store/metadata.js'
import type { ModelProxy, ModelRunOptions, ResolvedInput } from './model-proxy.js'
import type { TaskResult } from './runtime.js'
import { kFolds, parameterGrid, SCORERS } from './scoring.js'

/** What to search: a grid of hyper-parameters, the number of folds, and how to score. */
export interface GridsearchOptions {
  /** Each key a hyper-parameter, each value the list of values to try. */
  readonly params: Readonly<Record<string, readonly JsonValue[]>>
  /** Folds of cross-validation (rows shuffled with `seed` first). @default 3 */
  readonly cv?: number
  /** `accuracy`, `r2` or `neg_mean_squared_error`; default: the model's own `score`. Higher is better. */
  readonly scoring?: string
  /** Seed of the row shuffle before splitting into folds. @default 0 */
  readonly seed?: number
}

/**
 * Runs every combination × fold as its own `foldScore` task, all at once (the pool runs them in
 * parallel), then fits the best combination on all rows. Inputs are copied for each task, since a
 * transfer would detach them.
 */
export async function runGridsearch(
  proxy: ModelProxy,
  meta: Metadata,
  parts: Record<string, Uint8Array>,
  x: ResolvedInput,
  y: ResolvedInput | undefined,
  search: GridsearchOptions,
  options: ModelRunOptions,
  signal: AbortSignal | undefined,
): Promise<{ model: TaskResult; report: JsonObject }> {
  if (!y) throw errors.invalidArgument('gridsearch needs a target Y')
  if (typeof search !== 'object' || search === null || typeof search.params !== 'object') {
    throw errors.invalidArgument('gridsearch needs { params: { name: [values…] }, cv?, scoring? }')
  }
  if (search.scoring !== undefined && !(SCORERS as readonly string[]).includes(search.scoring)) {
    throw errors.invalidArgument(`unknown scoring "${search.scoring}"; use ${SCORERS.join(', ')} or omit it`)
  }
  const combos = parameterGrid(search.params)
  const cv = search.cv ?? 3
  const seed = search.seed ?? 0
  const folds = kFolds(x.rows, cv, seed)
  const total = combos.length * folds.length
  let done = 0
  const shared = { x: { ...x, owned: false }, y: { ...y, owned: false } }
  const scores = await Promise.all(
    combos.map(async (params) => {
      const foldScores = await Promise.all(
        folds.map(async (fold, f) => {
          const result = await proxy.run('foldScore', meta, { ...shared, params, parts, extra: { train: fold.train, test: fold.test, ...(search.scoring !== undefined && { scoring: search.scoring }) } }, options, signal)
          if (result.type !== 'number') throw errors.unsupported('a gridsearch fold returned no score')
          done++
          options.onProgress?.({ done, total, message: `fold ${f + 1}/${cv} of ${JSON.stringify(params)}` })
          return result.value
        }),
      )
      return { params, folds: foldScores, mean: foldScores.reduce((a, b) => a + b, 0) / foldScores.length }
    }),
  )
  const best = scores.reduce((a, b) => (b.mean > a.mean ? b : a))
  const model = await proxy.run('fit', meta, { x, y, params: best.params, parts }, options, signal)
  const report: JsonObject = {
    params: search.params as JsonObject,
    cv,
    seed,
    scoring: search.scoring ?? 'model.score',
    scores: scores.map((s) => ({ params: s.params, mean: s.mean, folds: s.folds })),
    best: { params: best.params, score: best.mean },
  }
  return { model, report }
}
