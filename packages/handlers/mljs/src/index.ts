/**
 * **@omega/mljs**: ml.js models as omega estimators (kind `mljs.<Class>`): `RandomForestClassifier`,
 * `RandomForestRegression` (ml-random-forest), `DecisionTreeClassifier`, `DecisionTreeRegression`
 * (ml-cart), `LogisticRegression` (ml-logistic-regression) and `MultivariateLinearRegression`
 * (ml-regression). Stored as their own `toJSON()` data, rebuilt with their static `load`.
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { MLJS_ESTIMATORS } from './adapters.js'

export { MLJS_ESTIMATORS, type MljsEstimator } from './adapters.js'
export { accuracy, r2 } from './metrics.js'
export {
  RandomForestClassifier,
  RandomForestRegression,
  DecisionTreeClassifier,
  DecisionTreeRegression,
  LogisticRegression,
  MultivariateLinearRegression,
  type RandomForestOptions,
  type DecisionTreeOptions,
} from './classes.js'

/** Registers every ml.js estimator at built-in priority, so user registrations win. */
const plugin: Plugin = (api) => {
  for (const e of MLJS_ESTIMATORS) api.registerEstimator(e.name, e.cls, e.adapter, { kind: `mljs.${e.name}`, priority: 0 })
}
export default plugin
