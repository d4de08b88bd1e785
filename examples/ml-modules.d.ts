// ml-cart ships no type declarations; the examples use only this.
declare module 'ml-cart' {
  export class DecisionTreeClassifier {
    constructor(options?: { maxDepth?: number; minNumSamples?: number })
    train(X: number[][], y: number[]): void
    predict(X: number[][]): number[]
  }
}
