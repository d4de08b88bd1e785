import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Table, tableFromArrays } from 'apache-arrow'
import { Omega, Tensor, type OpenOptions } from '@omega/core'
import { fixturePath, loadCsv, rejectsWith, snapshot, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import { OnnxModel } from '@omega/onnx'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ONNX_PLUGIN = new URL('../dist/index.js', import.meta.url).href
const POOL_PLUGIN = new URL('../../../runtimes/pool/dist/index.js', import.meta.url).href

interface Fixture {
  model: string
  bytes: number
  dataset: string
  features: string[]
  inputColumns?: Record<string, string[]>
  producer: string
  irVersion: number
  opsets: Record<string, number>
  inputs: { name: string; dtype: string; shape: (string | number)[] }[]
  outputs: { name: string; dtype: string; shape: (string | number)[] }[]
  rowIndices: number[]
  test: { inputs: Record<string, number[][]>; expected: Record<string, number[] | number[][]> }
  tolerance: Record<string, { exact?: boolean; atol?: number; rtol?: number }>
}

/** apache-arrow's CommonJS build: another module instance than omega's, as in a CommonJS app. */
const cjsArrow = createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow')

const fixture = (stem: string): Fixture => JSON.parse(readFileSync(fixturePath(`onnx/${stem}.json`), 'utf8')) as Fixture
const MODELS = ['linreg_wine_alcohol', 'logreg_iris', 'mlp_breast_cancer', 'iris_two_inputs']

/** Checks every output against the fixture's expectations and tolerance rule. */
function expectWithin(f: Fixture, got: Record<string, Tensor>, rows?: number[]): void {
  for (const [name, want] of Object.entries(f.test.expected)) {
    const tensor = got[name]
    expect(tensor, `output ${name}`).toBeDefined()
    const flatGot = (tensor!.toArray() as unknown[]).flat(3) as number[]
    const wanted = rows ? rows.map((r) => want[r]!) : want
    const flatWant = (wanted as unknown[]).flat(3) as number[]
    expect(flatGot.length).toBe(flatWant.length)
    const tol = f.tolerance[name]!
    flatWant.forEach((w, i) => {
      if (tol.exact) expect(flatGot[i], `${name}[${i}]`).toBe(w)
      else expect(Math.abs(flatGot[i]! - w), `${name}[${i}]: got ${flatGot[i]}, want ${w}`).toBeLessThanOrEqual(tol.atol! + tol.rtol! * Math.abs(w))
    })
  }
}

const asRecord = (out: Tensor | Record<string, Tensor>, f: Fixture): Record<string, Tensor> =>
  out instanceof Tensor ? { [f.outputs[0]!.name]: out } : out

describe('onnx: put, validate, get, predict', () => {
  let om: Omega
  beforeAll(async () => {
    om = await Omega.open({ store: new LevelBackend(tempDir('omega-onnx-')), plugins: [ONNX_PLUGIN], runtime: 'inline' })
  })
  afterAll(async () => {
    await om.close()
  })

  it.each(MODELS)('%s: kindMeta describes the graph and predictions match the fixture', async (stem) => {
    const f = fixture(stem)
    const meta = await om.models.put({ path: fixturePath(`onnx/${stem}.onnx`) }, stem)
    const bytes = readFileSync(fixturePath(`onnx/${stem}.onnx`))
    expect(meta.kind).toBe('onnx.model')
    expect(meta.size).toBe(f.bytes)
    expect(meta.kindMeta).toMatchObject({ size: f.bytes, sha256: meta.sha256, irVersion: f.irVersion })
    // The JSON describes how each model was made; the file itself names its producer.
    expect((meta.kindMeta.producer as { name: string }).name).toBe(f.producer.startsWith('torch') ? 'pytorch' : 'omega-fixtures')
    expect(meta.kindMeta.opsets).toEqual(Object.fromEntries(Object.entries(f.opsets).map(([d, v]) => [d === 'ai.onnx' ? '' : d, v])))
    expect(meta.kindMeta.inputs).toEqual(f.inputs.map((i) => ({ name: i.name, type: i.dtype, shape: i.shape })))
    expect(meta.kindMeta.outputs).toEqual(f.outputs.map((o) => ({ name: o.name, type: o.dtype, shape: o.shape })))
    const again = await om.models.put(new Uint8Array(bytes), stem)
    expect(again.sha256).toBe(meta.sha256)
    const model = (await om.models.get(stem)) as OnnxModel
    expect(model).toBeInstanceOf(OnnxModel)
    expect(model.inputs.map((i) => i.name)).toEqual(f.inputs.map((i) => i.name))
    const inputs = f.inputs.length === 1 ? f.test.inputs[f.inputs[0]!.name] : f.test.inputs
    expectWithin(f, asRecord(await model.predict(inputs), f))
    for (const row of [0, f.rowIndices.length - 1]) {
      const one = Object.fromEntries(Object.entries(f.test.inputs).map(([k, v]) => [k, [v[row]!]]))
      expectWithin(f, asRecord(await model.predict(f.inputs.length === 1 ? one[f.inputs[0]!.name] : one), f), [row])
    }
    const labels = f.outputs.find((o) => o.dtype === 'int64')
    if (labels) {
      const out = asRecord(await model.predict(inputs), f)[labels.name]!
      expect(out.dtype).toBe('int64')
      expect(out.data).toBeInstanceOf(BigInt64Array)
    }
    await model.close()
  })

  it('a table, records, a Tensor and selected outputs feed the graph', async () => {
    const f = fixture('logreg_iris')
    await om.models.put({ path: fixturePath('onnx/logreg_iris.onnx') }, 'iris-onnx')
    const model = (await om.models.get('iris-onnx')) as OnnxModel
    const rows = f.test.inputs.X!
    const columns = Object.fromEntries(f.features.map((c, j) => [c, Float64Array.from(rows, (r) => r[j]!)]))
    expectWithin(f, asRecord(await model.predict(tableFromArrays(columns)), f))
    expectWithin(f, asRecord(await model.predict(cjsArrow.tableFromArrays(columns) as never), f))
    expectWithin(f, asRecord(await model.predict(rows.map((r) => Object.fromEntries(f.features.map((c, j) => [c, r[j]!])))), f))
    expectWithin(f, asRecord(await model.predict(new Tensor('float32', [rows.length, 4], Float32Array.from(rows.flat()))), f))
    const proba = await model.predict(rows, { outputs: ['probabilities'] })
    expect(proba).toBeInstanceOf(Tensor)
    expect((proba as Tensor).shape).toEqual([rows.length, 3])
    await model.close()
  })

  it('bad input: corrupt bytes and unsupported ops are E_MODEL_LOAD and nothing is stored', async () => {
    const fresh = await Omega.open({ store: 'memory:', plugins: [ONNX_PLUGIN] })
    const raw = (fresh as unknown as { datasets: { ctx: { backend: { inner: Parameters<typeof snapshot>[0] } } } }).datasets.ctx.backend.inner
    try {
      const corrupt = await rejectsWith(fresh.models.put({ path: fixturePath('onnx/corrupt_truncated.onnx') }, 'bad'), 'E_MODEL_LOAD')
      expect(corrupt.message).toMatch(/protobuf parsing failed/i)
      await rejectsWith(fresh.models.put(new Uint8Array(readFileSync(fixturePath('onnx/corrupt_truncated.onnx'))), 'bad'), 'E_MODEL_LOAD')
      const op = await rejectsWith(fresh.models.put({ path: fixturePath('onnx/unsupported_op.onnx') }, 'bad'), 'E_MODEL_LOAD')
      expect(op.message).toContain('Frobnicate')
      await rejectsWith(fresh.models.put(Uint8Array.of(1, 2, 3), 'bad'), 'E_MODEL_LOAD')
      expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
    } finally {
      await fresh.close()
    }
  })

  it('bad input: wrong input name, rank or width is E_DATA_SHAPE naming input, expected and given', async () => {
    await om.models.put({ path: fixturePath('onnx/logreg_iris.onnx') }, 'shape')
    const model = (await om.models.get('shape')) as OnnxModel
    expect((await rejectsWith(model.predict({ features: [[1, 2, 3, 4]] }), 'E_DATA_SHAPE')).message).toMatch(/unknown input "features"; the model's inputs are X/)
    expect((await rejectsWith(model.predict([1, 2, 3, 4]), 'E_DATA_SHAPE')).message).toMatch(/input "X" expects shape \[N, 4\], got \[4\]/)
    expect((await rejectsWith(model.predict([[1, 2, 3]]), 'E_DATA_SHAPE')).message).toMatch(/input "X" expects shape \[N, 4\], got \[1, 3\]/)
    await om.models.put({ path: fixturePath('onnx/iris_two_inputs.onnx') }, 'two')
    const two = (await om.models.get('two')) as OnnxModel
    expect((await rejectsWith(two.predict([[1, 2, 3, 4]]), 'E_DATA_SHAPE')).message).toMatch(/2 inputs \(sepal, petal\)/)
    expect((await rejectsWith(two.predict({ sepal: [[1, 2]] }), 'E_DATA_SHAPE')).message).toMatch(/missing input "petal"/)
    await rejectsWith(model.predict([[1, 2, 3, 4]], { outputs: ['nope'] }), 'E_INVALID_ARGUMENT')
    await model.close()
    await two.close()
  })

  it('tables and records are matched by name: featureNames for one input, inputColumns for several; bad columns never predict', async () => {
    const f = fixture('logreg_iris')
    const meta = await om.models.put({ path: fixturePath('onnx/logreg_iris.onnx') }, 'by-name', { featureNames: f.features })
    expect(meta.kindMeta.featureNames).toEqual(f.features)
    const model = (await om.models.get('by-name')) as OnnxModel
    const rows = f.test.inputs.X!
    const reversed = [...f.features].reverse()
    const table = tableFromArrays(Object.fromEntries(reversed.map((c) => [c, Float64Array.from(rows, (r) => r[f.features.indexOf(c)]!)])))
    expectWithin(f, asRecord(await model.predict(table), f))
    expectWithin(f, asRecord(await model.predict(rows.map((r) => Object.fromEntries(reversed.map((c) => [c, r[f.features.indexOf(c)]!])))), f))
    const expected = 'this model takes columns sepal_length, sepal_width, petal_length, petal_width; X'
    expect((await rejectsWith(model.predict([{ sepal_length: 1, sepal_width: 2, petal_length: 3 }]), 'E_DATA_SHAPE')).message).toBe(`${expected} lacks "petal_width"`)
    expect((await rejectsWith(model.predict([{ sepal_length: 1, sepal_width: 2, petal_length: 3, petal_widht: 4 }]), 'E_DATA_SHAPE')).message).toBe(`${expected} lacks "petal_width" and has unknown column "petal_widht"`)
    const text = await rejectsWith(model.predict([{ sepal_length: 'a', sepal_width: 2, petal_length: 3, petal_width: 4 }]), 'E_DATA_SHAPE')
    expect(text.message).toBe('input "X" takes float32, but column "sepal_length" is Utf8; encode it as numbers first')
    const flag = await rejectsWith(model.predict([{ sepal_length: 1, sepal_width: true, petal_length: 3, petal_width: 4 }]), 'E_DATA_SHAPE')
    expect(flag.message).toContain('column "sepal_width" is Bool')
    const date = await rejectsWith(model.predict([{ sepal_length: 1, sepal_width: 2, petal_length: new Date(0), petal_width: 4 }]), 'E_DATA_SHAPE')
    expect(date.message).toContain('column "petal_length" is Timestamp<MILLISECOND>')
    expect((await rejectsWith(model.predict([['a', 'b', 'c', 'd']]), 'E_DATA_SHAPE')).message).toBe('input "X" takes float32, but got strings ("a" first); encode text as numbers first')
    expect((await rejectsWith(model.predict([[1, 2, 'c', 4]]), 'E_DATA_SHAPE')).message).toContain('row 0, column 2: "c" is not a number')
    await rejectsWith(om.models.put({ path: fixturePath('onnx/logreg_iris.onnx') }, 'bad-names', { featureNames: ['a', 'b'] }), 'E_INVALID_ARGUMENT')
    await rejectsWith(om.models.put({ path: fixturePath('onnx/iris_two_inputs.onnx') }, 'bad-names', { featureNames: f.features }), 'E_INVALID_ARGUMENT')
    expect(await om.models.exists('bad-names')).toBe(false)
    const two = fixture('iris_two_inputs')
    await om.models.put({ path: fixturePath('onnx/iris_two_inputs.onnx') }, 'two-cols', { inputColumns: two.inputColumns })
    const twoModel = (await om.models.get('two-cols')) as OnnxModel
    const columns = Object.entries(two.inputColumns!).flatMap(([input, cols]) => cols.map((c, j) => [c, Float64Array.from(two.test.inputs[input]!, (r) => r[j]!)] as const))
    expectWithin(two, asRecord(await twoModel.predict(tableFromArrays(Object.fromEntries([...columns].reverse()))), two))
    const lacking = tableFromArrays(Object.fromEntries(columns.filter(([c]) => c !== 'petal_length')))
    expect((await rejectsWith(twoModel.predict(lacking), 'E_DATA_SHAPE')).message).toBe('this model\'s inputs take columns sepal: sepal_length, sepal_width; petal: petal_length, petal_width; X lacks "petal_length"')
    const extra = tableFromArrays(Object.fromEntries([...columns, ['target', Float64Array.from(columns[0]![1])] as const]))
    expect((await rejectsWith(twoModel.predict(extra), 'E_DATA_SHAPE')).message).toContain('has unknown column "target"')
    await model.close()
    await twoModel.close()
  })

  it('NaN and Infinity pass through; an empty batch returns empty outputs of the right shape', async () => {
    await om.models.put({ path: fixturePath('onnx/linreg_wine_alcohol.onnx') }, 'lin')
    const lin = (await om.models.get('lin')) as OnnxModel
    const out = (await lin.predict([[NaN, ...Array<number>(11).fill(1)], [Infinity, ...Array<number>(11).fill(0)]])) as Tensor
    expect(Number.isNaN((out.toArray() as number[][])[0]![0])).toBe(true)
    const iris = (await om.models.get('iris-onnx')) as OnnxModel
    const empty = (await iris.predict(new Tensor('float32', [0, 4], new Float32Array(0)))) as Record<string, Tensor>
    expect(empty.label!.shape).toEqual([0])
    expect(empty.probabilities!.shape).toEqual([0, 3])
    await lin.close()
    await iris.close()
  })
})

for (const runtime of ['inline', 'pool'] as const) {
  describe(`onnx through the ${runtime} runtime`, () => {
    let om: Omega
    beforeAll(async () => {
      const options: OpenOptions = { store: new LevelBackend(tempDir('omega-onnx-rt-')), plugins: [ONNX_PLUGIN, POOL_PLUGIN], runtime, threads: 2 }
      om = await Omega.open(options)
      const iris = loadCsv('iris')
      await om.datasets.put(iris.records, 'iris')
    })
    afterAll(async () => {
      await om.close()
    })

    it('predicts every fixture by name, a dataset by name, and refuses to fit', async () => {
      for (const stem of MODELS) {
        const f = fixture(stem)
        await om.models.put({ path: fixturePath(`onnx/${stem}.onnx`) }, stem, { inputColumns: f.inputColumns })
        const columns = f.inputColumns && Object.fromEntries(Object.entries(f.inputColumns).flatMap(([input, cols]) => cols.map((c, j) => [c, Float64Array.from(f.test.inputs[input]!, (r) => r[j]!)])))
        const X = columns ? tableFromArrays(columns) : f.test.inputs[f.inputs[0]!.name]!
        expectWithin(f, asRecord(await om.runtime.model(stem).predict<Tensor | Record<string, Tensor>>(X as never), f))
        if (columns) expectWithin(f, asRecord(await om.runtime.model(stem).predict<Tensor | Record<string, Tensor>>(cjsArrow.tableFromArrays(columns) as never), f))
      }
      const f = fixture('logreg_iris')
      const all = await om.runtime.model('logreg_iris').predict<Record<string, Tensor>>('iris[^target]')
      const labels = all.label!.toArray() as number[]
      f.rowIndices.forEach((r, i) => expect(labels[r]).toBe((f.test.expected.label as number[])[i]))
      const proba = await om.runtime.model('logreg_iris').predictProba('iris[^target]')
      expect(proba.shape).toEqual([150, 3])
      const only = await om.runtime.model('logreg_iris').predict('iris[^target]', { params: { outputs: ['label'] } })
      expect(only).toBeInstanceOf(Tensor)
      const two = fixture('iris_two_inputs')
      expectWithin(two, asRecord(await om.runtime.model('iris_two_inputs').predict<Record<string, Tensor>>({ petal: two.test.inputs.petal!, sepal: two.test.inputs.sepal! }), two))
      const sepal = new Tensor('float32', [two.test.inputs.sepal!.length, 2], Float32Array.from(two.test.inputs.sepal!.flat()))
      expectWithin(two, asRecord(await om.runtime.model('iris_two_inputs').predict<Record<string, Tensor>>({ sepal, petal: two.test.inputs.petal! }), two))
      const missingInput = await rejectsWith(om.runtime.model('iris_two_inputs').predict({ sepal: two.test.inputs.sepal! }), 'E_DATA_SHAPE')
      expect(missingInput.message).toContain('missing input "petal"')
      await rejectsWith(om.runtime.model('iris_two_inputs').predict({ sepal: [[1, 2]], petal: [[1, 2], [3, 4]] }), 'E_DATA_SHAPE')
      expect((await rejectsWith(om.runtime.model('logreg_iris').predict([['a', 'b', 'c', 'd']] as never), 'E_DATA_SHAPE')).message).toContain('input "X" takes float32, but got strings')
      await om.models.put({ path: fixturePath('onnx/logreg_iris.onnx') }, 'named-iris', { featureNames: f.features })
      const swapped = ((await om.datasets.get('iris')) as Table).select(['target', ...[...f.features].reverse()])
      await om.datasets.put(swapped, 'iris-swapped')
      expect((await om.runtime.model('named-iris').predict<Record<string, Tensor>>('iris-swapped[^target]')).label!.toArray()).toEqual(all.label!.toArray())
      expect((await rejectsWith(om.runtime.model('named-iris').predict('iris-swapped'), 'E_DATA_SHAPE')).message).toContain('has unknown column "target"')
      const err = await rejectsWith(om.runtime.model('logreg_iris').fit('iris[^target]', 'iris[target]'), 'E_UNSUPPORTED')
      expect(err.message).toMatch(/onnx\.model models cannot fit \(inference-only: fit in the source framework and put the new export\)/)
      await rejectsWith(om.runtime.model('logreg_iris').predict('iris'), 'E_DATA_SHAPE')
      const threads = await om.runtime.model('mlp_breast_cancer').predict(fixture('mlp_breast_cancer').test.inputs.X as never, { params: { sessionOptions: { intraOpNumThreads: 1 } } })
      expect(Object.keys(threads)).toEqual(['label', 'probabilities'])
      expect((await om.runtime.model('logreg_iris').predict('iris[^target]', { rName: 'iris-preds' }) as { kindMeta: { columns: { name: string }[] } }).kindMeta.columns.map((c) => c.name)).toEqual(['label', 'probabilities0', 'probabilities1', 'probabilities2'])
      expect(new Table(((await om.datasets.get('iris-preds')) as Table).batches).numRows).toBe(150)
    })
  })
}
