import { MemoryBackend, Omega, OmegaError, type JsonValue } from '@omega/core'
import { loadCsv, rejectsWith } from '@omega/conformance'
import { DecisionTreeClassifier, DecisionTreeRegression } from 'ml-cart'
import LogisticRegression from 'ml-logistic-regression'
import { Matrix } from 'ml-matrix'
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest'
import { MultivariateLinearRegression } from 'ml-regression'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const PLUGIN = new URL('../dist/index.js', import.meta.url).href
const iris = loadCsv('iris')
const X = iris.X.slice(0, 60)
const y = iris.y.slice(0, 60)
let raw: MemoryBackend
let om: Omega

beforeAll(async () => {
  raw = new MemoryBackend()
  om = await Omega.open({ store: raw, plugins: [PLUGIN] })
})
afterAll(async () => {
  await om.close()
})

/** Replaces the stored JSON of `name@1` consistently (blob, part entry, sha256), as a hostile writer of the store could. */
async function storeText(name: string, text: string): Promise<void> {
  for await (const d of raw.meta.list(`default/models/${name}/@`)) {
    if (!(d.doc.parts as Record<string, unknown> | undefined)?.model) continue
    const ref = await raw.blobs.write(new TextEncoder().encode(text))
    await raw.meta.put(d.key, { ...d.doc, parts: { model: ref }, sha256: ref.sha256, size: ref.size } as never, { ifRevision: d.revision })
    return
  }
  throw new Error(`no stored version of ${name}`)
}

/** Small fitted models of every registered ml.js class. */
function fitted(): Record<string, object> {
  const rf = new RandomForestClassifier({ nEstimators: 3, seed: 1, noOOB: true })
  rf.train(X, y)
  const rr = new RandomForestRegression({ nEstimators: 3, seed: 1, noOOB: true })
  rr.train(X, y)
  const dt = new DecisionTreeClassifier()
  dt.train(X, y)
  const dr = new DecisionTreeRegression()
  dr.train(X, y)
  const lr = new LogisticRegression({ numSteps: 20 })
  lr.train(new Matrix(X), Matrix.columnVector(y))
  const ml = new MultivariateLinearRegression(X, y.map((v) => [v]))
  return { rf, rr, dt, dr, lr, ml }
}

/** A seeded generator (mulberry32): the fuzz is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HOSTILE: JsonValue[] = [1e9, 2 ** 31, -1, 0, 1.5, null, 'x', true, [], {}, [[]], [[1e9]], { length: 1e9 }, Number.MAX_SAFE_INTEGER]

/** One random edit of a JSON value: replace, delete or duplicate somewhere inside it. */
function mutate(json: JsonValue, next: () => number): JsonValue {
  const copy = JSON.parse(JSON.stringify(json)) as JsonValue
  const containers: (JsonValue[] | Record<string, JsonValue>)[] = []
  const walk = (v: JsonValue): void => {
    if (v === null || typeof v !== 'object') return
    containers.push(v)
    for (const child of Object.values(v)) walk(child)
  }
  walk(copy)
  const target = containers[Math.floor(next() * containers.length)]!
  const keys = Object.keys(target)
  if (keys.length === 0) return copy
  const key = keys[Math.floor(next() * keys.length)]!
  const r = next()
  const t = target as Record<string, JsonValue>
  if (r < 0.7) t[key] = HOSTILE[Math.floor(next() * HOSTILE.length)]!
  else if (r < 0.85) delete t[key]
  else t[key] = [t[key]!, t[key]!]
  return copy
}

describe('hostile stored ml.js models', () => {
  it('a 90-byte LogisticRegression claiming numberClasses: 1e9 is E_MODEL_LOAD naming the model, not an out-of-memory abort', async () => {
    const { lr } = fitted()
    await om.models.put(lr, 'evil-lr')
    const text = '{"fitted":true,"model":{"name":"LogisticRegression","numberClasses":1e9,"classifiers":[]}}'
    expect(text.length).toBeLessThan(100)
    await storeText('evil-lr', text)
    const err = await rejectsWith(om.models.get('evil-lr@1'), 'E_MODEL_LOAD')
    expect(err.message).toContain('"evil-lr"')
    expect(err.message).toMatch(/numberClasses is 1000000000 but 0 classifiers are stored/)
  })

  it('counts that disagree with the stored data are refused for every class', async () => {
    const models = fitted()
    const cases: [string, (j: Record<string, any>) => void][] = [
      ['rf', (j) => { j.baseModel.nEstimators = 1e9 }],
      ['rf', (j) => { j.baseModel.indexes = [] }],
      ['rr', (j) => { j.baseModel.estimators[0].root = { splitValue: 1, splitColumn: 0 } }],
      ['dt', (j) => { j.root.left = 7 }],
      ['dr', (j) => { j.root = { distribution: 'x' } }],
      ['lr', (j) => { j.classifiers[0].weights = [[1, 2], [3]] }],
      ['ml', (j) => { j.inputs = 1e9 }],
      ['ml', (j) => { j.weights = [[1e9]] }],
    ]
    for (const [i, [which, edit]] of cases.entries()) {
      const name = `bad-${i}`
      await om.models.put(models[which]!, name)
      const json = JSON.parse(JSON.stringify(models[which])) as Record<string, unknown>
      edit(json)
      await storeText(name, JSON.stringify({ fitted: true, model: json }))
      await rejectsWith(om.models.get(`${name}@1`), 'E_MODEL_LOAD')
    }
  })

  it('fuzz: 200 random edits of each class\'s stored JSON either load (and predict) or throw OmegaError', async () => {
    const next = random(20261125)
    for (const [which, model] of Object.entries(fitted())) {
      const name = `fuzz-${which}`
      await om.models.put(model, name)
      const json = JSON.parse(JSON.stringify(model)) as JsonValue
      let refused = 0
      for (let i = 0; i < 200; i++) {
        await storeText(name, JSON.stringify({ fitted: true, model: mutate(json, next) }))
        try {
          await om.models.get(`${name}@1`)
          await om.runtime.model(`${name}@1`).predict(X.slice(0, 3))
        } catch (err) {
          if (!OmegaError.is(err)) throw new Error(`${which} mutation ${i}: not an OmegaError: ${String(err)}`, { cause: err })
          refused++
        }
      }
      expect(refused, which).toBeGreaterThan(0)
    }
  }, 60_000)
})
