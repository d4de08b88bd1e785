// ml.js packages ship no type declarations; these cover only what the adapters use.
declare module 'ml-random-forest' {
  export interface RandomForestOptions {
    maxFeatures?: number
    replacement?: boolean
    nEstimators?: number
    treeOptions?: object
    seed?: number
    useSampleBagging?: boolean
    noOOB?: boolean
    maxSamples?: number | null
  }
  class RandomForestBase {
    constructor(options?: RandomForestOptions)
    estimators?: { root: { classify(row: number[]): { columns: number } } }[]
    train(X: number[][], y: number[]): void
    predict(X: number[][]): number[]
    toJSON(): object
  }
  export class RandomForestClassifier extends RandomForestBase {
    predictProbability(X: number[][], label: number): number[]
    static load(json: unknown): RandomForestClassifier
  }
  export class RandomForestRegression extends RandomForestBase {
    static load(json: unknown): RandomForestRegression
  }
}
declare module 'ml-cart' {
  class DecisionTree {
    constructor(options?: object)
    options: Record<string, unknown>
    root?: object
    train(X: number[][], y: number[]): void
    predict(X: number[][]): number[]
    toJSON(): object
  }
  export class DecisionTreeClassifier extends DecisionTree {
    static load(json: unknown): DecisionTreeClassifier
  }
  export class DecisionTreeRegression extends DecisionTree {
    static load(json: unknown): DecisionTreeRegression
  }
}
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix'
  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number })
    numSteps: number
    learningRate: number
    numberClasses: number
    classifiers: unknown[]
    train(X: Matrix, Y: Matrix): void
    predict(X: Matrix): number[]
    toJSON(): object
    static load(json: unknown): LogisticRegression
  }
}
declare module 'ml-regression' {
  export class MultivariateLinearRegression {
    constructor(x: number[][], y: number[][], options?: { intercept?: boolean; statistics?: boolean })
    intercept: boolean
    statistics: boolean
    predict(x: number[][]): number[][]
    toJSON(): object
    static load(json: unknown): MultivariateLinearRegression
  }
}
