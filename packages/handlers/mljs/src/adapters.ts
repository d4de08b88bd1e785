import { errors, toJson, type EstimatorAdapter, type EstimatorClass, type JsonObject, type Matrix, type Target } from '@omega/core'
import { DecisionTreeClassifier, DecisionTreeRegression } from 'ml-cart'
import LogisticRegression from 'ml-logistic-regression'
import { Matrix as MlMatrix } from 'ml-matrix'
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest'
import { MultivariateLinearRegression } from 'ml-regression'
import { accuracy, r2 } from './metrics.js'
import { validateMljs } from './validate.js'

/** One ml.js class and how omega drives it. */
export interface MljsEstimator<M extends object = object> {
  readonly name: string
  readonly cls: EstimatorClass<M>
  readonly adapter: EstimatorAdapter<M>
}

function flat(y: Target | undefined, what: string): number[] {
  if (y === undefined) throw errors.invalidArgument(`${what} needs a target Y`)
  return y.map((v) => (Array.isArray(v) ? v[0]! : v))
}

/** ml.js classifiers index class counts by label, so labels must be 0, 1, 2, …. */
function classLabels(y: Target | undefined, what: string): number[] {
  const labels = flat(y, what)
  const bad = labels.find((v) => !Number.isInteger(v) || v < 0)
  if (bad !== undefined) {
    throw errors.invalidArgument(`${what} needs class labels 0, 1, 2, … (got ${bad}); encode string or negative labels as integers first`)
  }
  return labels
}

function defined(obj: Record<string, unknown>): JsonObject {
  return toJson(Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)))
}

function forestParams(m: RandomForestClassifier | RandomForestRegression): JsonObject {
  const f = m as unknown as Record<string, unknown>
  return defined({
    maxFeatures: f.maxFeatures,
    replacement: f.replacement,
    nEstimators: f.nEstimators,
    treeOptions: f.treeOptions,
    seed: f.seed,
    useSampleBagging: f.useSampleBagging,
    noOOB: f.noOOB,
    maxSamples: f.maxSamples,
  })
}

interface TreeNode {
  distribution?: { columns: number }
  left?: TreeNode
  right?: TreeNode
}

/** Number of classes a forest knows: leaves keep class counts only up to their highest class, so take the widest. */
function forestClasses(m: RandomForestClassifier): number {
  let widest = 0
  const walk = (node: TreeNode | undefined): void => {
    if (!node) return
    if (node.distribution) widest = Math.max(widest, node.distribution.columns)
    walk(node.left)
    walk(node.right)
  }
  for (const tree of m.estimators ?? []) walk(tree.root as unknown as TreeNode)
  return widest
}

const randomForestClassifier: MljsEstimator<RandomForestClassifier> = {
  name: 'RandomForestClassifier',
  cls: RandomForestClassifier,
  adapter: {
    // Trees and linear models predict each row on its own: concurrent predicts may be merged.
    rowIndependent: true,
    validate: (json, _size, fitted) => validateMljs('RandomForestClassifier', json, fitted),
    isFitted: (m) => Array.isArray(m.estimators),
    params: forestParams,
    create: (p) => new RandomForestClassifier(p),
    fit: (m, X, y) => (m.train(X, classLabels(y, 'RandomForestClassifier.fit')), m),
    predict: (m, X) => m.predict(X),
    predictProba: (m, X) => {
      if (X.length === 0) return []
      const classes = forestClasses(m)
      const perClass = Array.from({ length: classes }, (_, label) => m.predictProbability(X, label))
      return X.map((_, row) => perClass.map((p) => p[row]!))
    },
    score: (m, X, y) => accuracy(m.predict(X), y),
  },
}

const randomForestRegression: MljsEstimator<RandomForestRegression> = {
  name: 'RandomForestRegression',
  cls: RandomForestRegression,
  adapter: {
    rowIndependent: true,
    validate: (json, _size, fitted) => validateMljs('RandomForestRegression', json, fitted),
    isFitted: (m) => Array.isArray(m.estimators),
    params: forestParams,
    create: (p) => new RandomForestRegression(p),
    fit: (m, X, y) => (m.train(X, flat(y, 'RandomForestRegression.fit')), m),
    predict: (m, X) => m.predict(X),
    score: (m, X, y) => r2(m.predict(X), y),
  },
}

const decisionTreeClassifier: MljsEstimator<DecisionTreeClassifier> = {
  name: 'DecisionTreeClassifier',
  cls: DecisionTreeClassifier,
  adapter: {
    rowIndependent: true,
    validate: (json, _size, fitted) => validateMljs('DecisionTreeClassifier', json, fitted),
    isFitted: (m) => m.root !== undefined,
    params: (m) => defined(m.options),
    create: (p) => new DecisionTreeClassifier(p),
    fit: (m, X, y) => (m.train(X, classLabels(y, 'DecisionTreeClassifier.fit')), m),
    predict: (m, X) => m.predict(X),
    score: (m, X, y) => accuracy(m.predict(X), y),
  },
}

const decisionTreeRegression: MljsEstimator<DecisionTreeRegression> = {
  name: 'DecisionTreeRegression',
  cls: DecisionTreeRegression,
  adapter: {
    rowIndependent: true,
    validate: (json, _size, fitted) => validateMljs('DecisionTreeRegression', json, fitted),
    isFitted: (m) => m.root !== undefined,
    params: (m) => defined(m.options),
    create: (p) => new DecisionTreeRegression(p),
    fit: (m, X, y) => (m.train(X, flat(y, 'DecisionTreeRegression.fit')), m),
    predict: (m, X) => m.predict(X),
    score: (m, X, y) => r2(m.predict(X), y),
  },
}

const logisticRegression: MljsEstimator<LogisticRegression> = {
  name: 'LogisticRegression',
  cls: LogisticRegression,
  adapter: {
    rowIndependent: true,
    validate: (json, _size, fitted) => validateMljs('LogisticRegression', json, fitted),
    isFitted: (m) => m.classifiers.length > 0,
    params: (m) => ({ numSteps: m.numSteps, learningRate: m.learningRate }),
    create: (p) => new LogisticRegression(p),
    fit: (m, X, y) => (m.train(new MlMatrix(X), MlMatrix.columnVector(classLabels(y, 'LogisticRegression.fit'))), m),
    predict: (m, X) => m.predict(new MlMatrix(X)),
    score: (m, X, y) => accuracy(m.predict(new MlMatrix(X)), y),
  },
}

/**
 * ml.js trains a multivariate linear regression in its constructor, so there is no unfitted
 * instance to store: `fit` builds a new one from the data (and the stored one's options).
 */
const multivariateLinearRegression: MljsEstimator<MultivariateLinearRegression> = {
  name: 'MultivariateLinearRegression',
  cls: MultivariateLinearRegression,
  adapter: {
    rowIndependent: true,
    validate: (json, _size, fitted) => validateMljs('MultivariateLinearRegression', json, fitted),
    params: (m) => ({ intercept: m.intercept, statistics: m.statistics }),
    fit: (m, X, y, params) => {
      if (y === undefined) throw errors.invalidArgument('MultivariateLinearRegression.fit needs a target Y')
      const Y = y.map((v) => (Array.isArray(v) ? v : [v]))
      return new MultivariateLinearRegression(X, Y, { intercept: m.intercept, statistics: m.statistics, ...params })
    },
    predict: (m, X) => m.predict(X),
    score: (m, X, y) => r2(m.predict(X), y),
  },
}

/** Every ml.js estimator registered out of the box, as `mljs.<name>`. */
export const MLJS_ESTIMATORS: readonly MljsEstimator[] = [
  randomForestClassifier,
  randomForestRegression,
  decisionTreeClassifier,
  decisionTreeRegression,
  logisticRegression,
  multivariateLinearRegression,
] as unknown as readonly MljsEstimator[]

export type { Matrix }
