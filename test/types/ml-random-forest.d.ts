// ml-random-forest 2.1.0 ships declarations that do not compile with skipLibCheck off (statements
// in an ambient context, a class extending an interface), so tsconfig.json maps the module here:
// the part of its API the README uses, with the same signatures. tsconfig.libs.json compiles the
// same snippets against the package's own declarations (skipLibCheck on).
export interface RandomForestBaseOptions {
  maxFeatures: number
  replacement: boolean
  nEstimators: number
  seed: number
  useSampleBagging: boolean
  treeOptions: object
  noOOB: boolean
  isClassifier: boolean
  selectionMethod?: 'mean' | 'median'
}

export interface RandomForestClassifierModel {
  name: 'RFClassifier'
  baseModel: object
}

export declare class RandomForestClassifier {
  constructor(options: Partial<RandomForestBaseOptions> | true, model?: RandomForestClassifierModel)
  train(trainingSet: number[][], trainingValues: number[]): void
  predict(toPredict: number[][]): number[]
  predictProbability(toPredict: number[][], label: number): number[]
  toJSON(): RandomForestClassifierModel
  static load(model: RandomForestClassifierModel): RandomForestClassifier
}
