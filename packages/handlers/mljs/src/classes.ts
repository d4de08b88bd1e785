import { DecisionTreeClassifier as MlDecisionTreeClassifier, DecisionTreeRegression as MlDecisionTreeRegression } from 'ml-cart'
import MlLogisticRegression from 'ml-logistic-regression'
import type { Matrix } from 'ml-matrix'
import { RandomForestClassifier as MlRandomForestClassifier, RandomForestRegression as MlRandomForestRegression } from 'ml-random-forest'
import { MultivariateLinearRegression as MlMultivariateLinearRegression } from 'ml-regression'

// The ml.js classes omega registers, re-exported with declarations of our own: ml-cart and
// ml-regression ship none, and ml-random-forest's fail to compile (skipLibCheck: false). These are
// the very classes registered as `mljs.<Name>`, so an instance made from them is recognised at put.

/** Options of the random forests (ml-random-forest). */
export interface RandomForestOptions {
  /** Fraction (0–1) or number of features each tree sees. @default 1.0 */
  maxFeatures?: number
  /** Sample with replacement. @default true */
  replacement?: boolean
  /** Number of trees. @default 50 */
  nEstimators?: number
  /** Options of each decision tree (see {@link DecisionTreeOptions}). */
  treeOptions?: DecisionTreeOptions
  /** Seed of the random generator, for reproducible forests. */
  seed?: number
  useSampleBagging?: boolean
  /** Skip the out-of-bag estimate (it fails when a forest of few trees leaves no row out of every tree). */
  noOOB?: boolean
  /** Rows sampled per tree (a fraction, a count, or null for all). */
  maxSamples?: number | null
}

/** Options of the decision trees (ml-cart). */
export interface DecisionTreeOptions {
  gainFunction?: 'gini' | 'regression'
  splitFunction?: 'mean'
  minNumSamples?: number
  maxDepth?: number
  gainThreshold?: number
}

interface Estimator<Y = number[]> {
  /** Trains on rows `X` and targets `y`. */
  train(X: number[][], y: Y): void
  predict(X: number[][]): number[]
  toJSON(): object
}

/** A random forest classifier; class labels must be 0, 1, 2, …. */
export interface RandomForestClassifier extends Estimator {
  /** Probability of class `label` for each row. */
  predictProbability(X: number[][], label: number): number[]
}
/** A random forest regression. */
export type RandomForestRegression = Estimator
/** A CART decision tree classifier; class labels must be 0, 1, 2, …. */
export type DecisionTreeClassifier = Estimator
/** A CART regression tree. */
export type DecisionTreeRegression = Estimator
/** Logistic regression (one-vs-rest) on ml-matrix matrices; class labels must be 0, 1, 2, …. */
export interface LogisticRegression {
  train(X: Matrix, Y: Matrix): void
  predict(X: Matrix): number[]
  toJSON(): object
}
/** Least-squares linear regression with several outputs; ml.js trains it in the constructor. */
export interface MultivariateLinearRegression {
  predict(X: number[][]): number[][]
  toJSON(): object
}

/** A class as a value: its constructor and its static `load` of `toJSON()` data. */
interface ModelClass<M, Args extends unknown[]> {
  new (...args: Args): M
  load(json: unknown): M
}

/** ml-random-forest's `RandomForestClassifier`. */
export const RandomForestClassifier: ModelClass<RandomForestClassifier, [options?: RandomForestOptions]> = MlRandomForestClassifier
/** ml-random-forest's `RandomForestRegression`. */
export const RandomForestRegression: ModelClass<RandomForestRegression, [options?: RandomForestOptions]> = MlRandomForestRegression
/** ml-cart's `DecisionTreeClassifier`. */
export const DecisionTreeClassifier: ModelClass<DecisionTreeClassifier, [options?: DecisionTreeOptions]> = MlDecisionTreeClassifier
/** ml-cart's `DecisionTreeRegression`. */
export const DecisionTreeRegression: ModelClass<DecisionTreeRegression, [options?: DecisionTreeOptions]> = MlDecisionTreeRegression
/** ml-logistic-regression's `LogisticRegression`. */
export const LogisticRegression: ModelClass<LogisticRegression, [options?: { numSteps?: number; learningRate?: number }]> = MlLogisticRegression
/** ml-regression's `MultivariateLinearRegression` (trained by its constructor). */
export const MultivariateLinearRegression: ModelClass<MultivariateLinearRegression, [x: number[][], y: number[][], options?: { intercept?: boolean; statistics?: boolean }]> =
  MlMultivariateLinearRegression
