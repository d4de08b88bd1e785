// A plugin of small estimators for the runtime suite. It is loaded by URL in the application and in
// every worker, exactly as a user's plugin is.
import { isMainThread } from 'node:worker_threads'
import type { JsonObject, JsonValue, PluginApi } from '@omega/core'

type Matrix = number[][]

/** Linear regression by gradient descent: hyper-parameters `epochs` and `lr`; score is R². */
export class GdLinear {
  epochs: number
  lr: number
  w: number[] | null
  b: number
  constructor(params: { epochs?: number; lr?: number; w?: number[] | null; b?: number } = {}) {
    this.epochs = params.epochs ?? 200
    this.lr = params.lr ?? 0.05
    this.w = params.w ?? null
    this.b = params.b ?? 0
  }
  fit(X: Matrix, y: number[]): this {
    const d = X[0]?.length ?? 0
    this.w = new Array<number>(d).fill(0)
    this.b = 0
    for (let e = 0; e < this.epochs; e++) this.#step(X, y)
    return this
  }
  #step(X: Matrix, y: number[]): void {
    const n = X.length
    const gw = new Array<number>(this.w!.length).fill(0)
    let gb = 0
    X.forEach((row, i) => {
      const err = this.#one(row) - y[i]!
      row.forEach((v, j) => (gw[j]! += (err * v) / n))
      gb += err / n
    })
    this.w = this.w!.map((w, j) => w - this.lr * gw[j]!)
    this.b -= this.lr * gb
  }
  #one(row: number[]): number {
    return row.reduce((s, v, j) => s + v * this.w![j]!, this.b)
  }
  predict(X: Matrix): number[] {
    if (!this.w) throw new Error('GdLinear is not fitted; call fit first')
    return X.map((r) => this.#one(r))
  }
  score(X: Matrix, y: number[]): number {
    const p = this.predict(X)
    const mean = y.reduce((a, b) => a + b, 0) / y.length
    const res = y.reduce((s, v, i) => s + (v - p[i]!) ** 2, 0)
    const tot = y.reduce((s, v) => s + (v - mean) ** 2, 0)
    return 1 - res / tot
  }
  getParams(): JsonObject {
    return { epochs: this.epochs, lr: this.lr }
  }
  toJSON(): JsonObject {
    return { epochs: this.epochs, lr: this.lr, w: this.w, b: this.b }
  }
  static load(json: JsonValue): GdLinear {
    return new GdLinear(json as ConstructorParameters<typeof GdLinear>[0])
  }
}

/** Running mean of the target, learnt chunk by chunk with partialFit; also a standardising transform. */
export class RunningMean {
  n = 0
  sum = 0
  chunks = 0
  fit(_X: Matrix, y: number[]): this {
    this.n = 0
    this.sum = 0
    this.chunks = 0
    return this.partialFit(_X, y)
  }
  partialFit(_X: Matrix, y: number[]): this {
    this.n += y.length
    this.sum += y.reduce((a, b) => a + b, 0)
    this.chunks++
    return this
  }
  predict(X: Matrix): number[] {
    return X.map(() => this.sum / this.n)
  }
  transform(X: Matrix): Matrix {
    return X.map((r) => r.map((v) => v - this.sum / this.n))
  }
  predictProba(X: Matrix): Matrix {
    return X.map(() => [0.25, 0.75])
  }
  toJSON(): JsonObject {
    return { n: this.n, sum: this.sum, chunks: this.chunks }
  }
  static load(json: JsonValue): RunningMean {
    return Object.assign(new RunningMean(), json)
  }
}

/**
 * Misbehaves on purpose: sleeps, throws, exits its worker or exhausts memory, or predicts too few
 * rows (`short`), ragged rows (`ragged`), non-numbers (`null`) or string labels (`labels`, legit),
 * as `mode` says.
 */
export class Troublemaker {
  constructor(public mode: string = 'ok') {}
  fit(): this {
    if (this.mode === 'throw') throw new RangeError('boom from the framework')
    return this
  }
  predict(X: Matrix): number[] {
    switch (this.mode) {
      case 'spin': {
        const until = Date.now() + 60_000
        while (Date.now() < until) {
          // a CPU-bound loop that only terminating the thread stops
        }
        break
      }
      case 'sleep':
        return new Promise((resolve) => setTimeout(() => resolve(X.map(() => 1)), 3000)) as unknown as number[]
      case 'exit':
        if (!isMainThread) process.exit(3)
        throw new Error('exit mode only runs in a worker')
      case 'oom': {
        const hog: number[][] = []
        for (;;) hog.push(new Array<number>(1e6).fill(1))
      }
      case 'throw':
        throw new TypeError('predict exploded inside the framework')
      case 'short':
        return X.slice(1).map(() => 0)
      case 'ragged':
        return X.map((_, i) => (i === 0 ? [1, 2] : [1])) as unknown as number[]
      case 'null':
        return X.map((_, i) => (i === 1 ? null : 0)) as unknown as number[]
      case 'labels':
        return X.map((r) => (r[0]! > 0 ? 'yes' : 'no')) as unknown as number[]
    }
    return X.map(() => 0)
  }
  toJSON(): JsonObject {
    return { mode: this.mode }
  }
  static load(json: JsonValue): Troublemaker {
    return new Troublemaker((json as { mode: string }).mode)
  }
}

export default function plugin(api: PluginApi): void {
  api.registerEstimator('GdLinear', GdLinear)
  api.registerEstimator('RunningMean', RunningMean)
  api.registerEstimator('Troublemaker', Troublemaker)
}
