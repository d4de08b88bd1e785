import { Omega, Tensor, OmegaError } from '@omega/core'
import { loadCsv, rejectsWith } from '@omega/conformance'
import { DecisionTreeClassifier, DecisionTreeRegression } from 'ml-cart'
import LogisticRegression from 'ml-logistic-regression'
import { Matrix } from 'ml-matrix'
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest'
import { MultivariateLinearRegression } from 'ml-regression'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const iris = loadCsv('iris')
const wine = loadCsv('wine')
let om: Omega

beforeAll(async () => {
  om = await Omega.open({ store: 'memory:', plugins: [new URL('../dist/index.js', import.meta.url).href] })
})
afterAll(async () => {
  await om.close()
})

function tensor(X: number[][]): Tensor {
  return new Tensor('float64', [X.length, X[0]!.length], Float64Array.from(X.flat()))
}

describe('ml.js estimators', () => {
  it('RandomForestClassifier on iris: put, get an equal model that predicts identically', async () => {
    const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
    rf.train(iris.X, iris.y)
    const meta = await om.models.put(rf, 'iris-rf')
    expect(meta.kind).toBe('mljs.RandomForestClassifier')
    expect(meta.kindMeta).toEqual({ estimator: 'RandomForestClassifier', fitted: true, format: 1 })
    const back = (await om.models.get('iris-rf')) as RandomForestClassifier
    expect(back).toBeInstanceOf(RandomForestClassifier)
    // ml-cart's load() drops training-time bookkeeping (`numberSamples`, some `gain`s), so equality
    // is judged on what defines the model: forest settings, bootstrap indexes and predictions.
    const defining = (m: RandomForestClassifier): unknown => {
      const j = m.toJSON() as { baseModel: Record<string, unknown> }
      return { ...j.baseModel, estimators: undefined }
    }
    expect(defining(back)).toEqual(defining(rf))
    expect(back.predictProbability(iris.X, 2)).toEqual(rf.predictProbability(iris.X, 2))
    expect(back.predict(iris.X)).toEqual(rf.predict(iris.X))
    const accuracy = rf.predict(iris.X).filter((p, i) => p === iris.y[i]).length / iris.y.length
    expect(accuracy).toBeGreaterThan(0.9)
  })

  it('an unfitted model is stored as its hyper-parameters and comes back unfitted', async () => {
    const rf = new RandomForestClassifier({ nEstimators: 7, seed: 3, maxFeatures: 0.5 })
    const meta = await om.models.put(rf, 'unfitted-rf')
    expect(meta.kindMeta.fitted).toBe(false)
    const back = (await om.models.get('unfitted-rf')) as RandomForestClassifier & { nEstimators: number; seed: number; maxFeatures: number }
    expect(back).toBeInstanceOf(RandomForestClassifier)
    expect([back.nEstimators, back.seed, back.maxFeatures]).toEqual([7, 3, 0.5])
    expect(back.estimators).toBeUndefined()
    back.nEstimators = 25
    back.train(iris.X, iris.y)
    expect(back.predict([iris.X[0]!])).toEqual([0])
  })

  it.each([
    ['RandomForestRegression', () => new RandomForestRegression({ nEstimators: 20, seed: 1 })],
    ['DecisionTreeRegression', () => new DecisionTreeRegression()],
  ] as const)('%s on wine (alcohol from the rest)', async (name, make) => {
    const X = wine.rows.map((r) => r.slice(1, 13))
    const y = wine.rows.map((r) => r[0]!)
    const model = make()
    model.train(X, y)
    await om.models.put(model, `wine-${name}`)
    const back = (await om.models.get(`wine-${name}`)) as typeof model
    expect(back.predict(X)).toEqual(model.predict(X))
    expect((await om.models.metadata(`wine-${name}`))!.kind).toBe(`mljs.${name}`)
  })

  it('DecisionTreeClassifier, LogisticRegression and MultivariateLinearRegression round-trip', async () => {
    const tree = new DecisionTreeClassifier({ maxDepth: 4 })
    tree.train(iris.X, iris.y)
    await om.models.put(tree, 'tree')
    expect(((await om.models.get('tree')) as DecisionTreeClassifier).predict(iris.X)).toEqual(tree.predict(iris.X))

    const lr = new LogisticRegression({ numSteps: 300, learningRate: 5e-3 })
    lr.train(new Matrix(iris.X), Matrix.columnVector(iris.y))
    await om.models.put(lr, 'logreg')
    const lrBack = (await om.models.get('logreg')) as LogisticRegression
    expect(lrBack.predict(new Matrix(iris.X))).toEqual(lr.predict(new Matrix(iris.X)))

    const X = wine.rows.map((r) => r.slice(1, 13))
    const mlr = new MultivariateLinearRegression(X, wine.rows.map((r) => [r[0]!]))
    await om.models.put(mlr, 'mlr')
    expect(((await om.models.get('mlr')) as MultivariateLinearRegression).predict(X)).toEqual(mlr.predict(X))
  })

  it('the handler fits, predicts, predicts probabilities and scores through the adapter', async () => {
    const handler = om.handlers.get('mljs.RandomForestClassifier') as unknown as {
      fit(m: object, X: Tensor, Y: Tensor, o: object): Promise<RandomForestClassifier>
      predict(m: object, X: Tensor, o: object): Promise<Tensor>
      predictProba(m: object, X: Tensor, o: object): Promise<Tensor>
      score(m: object, X: Tensor, Y: Tensor, o: object): Promise<number>
    }
    const model = await handler.fit(new RandomForestClassifier({ nEstimators: 25, seed: 7 }), tensor(iris.X), new Tensor('float64', [150], Float64Array.from(iris.y)), {})
    const pred = await handler.predict(model, tensor(iris.X.slice(0, 3)), {})
    expect(pred.toArray()).toEqual([0, 0, 0])
    const proba = await handler.predictProba(model, tensor(iris.X.slice(0, 2)), {})
    expect(proba.shape).toEqual([2, 3])
    expect((proba.toArray() as number[][])[0]![0]).toBeGreaterThan(0.8)
    expect(await handler.score(model, tensor(iris.X), new Tensor('float64', [150], Float64Array.from(iris.y)), {})).toBeGreaterThan(0.9)
    const err = await rejectsWith(handler.fit(new RandomForestClassifier(), tensor(iris.X), new Tensor('float64', [3], Float64Array.of(1, 2, 3)), {}), 'E_DATA_SHAPE')
    expect(err.message).toMatch(/3 rows but X has 150/)
    await rejectsWith(handler.fit(new RandomForestClassifier(), tensor([[1], [2]]), new Tensor('float64', [2], Float64Array.of(0.5, -1)), {}), 'E_INVALID_ARGUMENT')
  })

  it('corrupt stored JSON is E_MODEL_LOAD', async () => {
    const raw = await Omega.open({ store: 'memory:' })
    try {
      raw.registerEstimator('Broken', class Broken {
        toJSON(): object {
          return { x: 1 }
        }
        static load(): never {
          throw new Error('cannot rebuild')
        }
      })
      const Broken = (raw.handlers.get('estimator.Broken') as unknown as { cls: new () => object }).cls
      await raw.models.put(new Broken(), 'b')
      const err = await rejectsWith(raw.models.get('b'), 'E_MODEL_LOAD')
      expect(err.message).toContain('cannot rebuild')
      expect(OmegaError.is(err)).toBe(true)
    } finally {
      await raw.close()
    }
  })
})
