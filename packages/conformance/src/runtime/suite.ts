import { createRequire } from 'node:module'
import { Dictionary, Float64, Int32, Table, Utf8, tableFromArrays, vectorFromArray } from 'apache-arrow'
import { Omega, OmegaError, Tensor, type Metadata, type OpenOptions } from '@omega/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rejectsWith } from '../context.js'
import { GdLinear, RunningMean, Troublemaker } from './test-plugin.js'

/** apache-arrow's CommonJS build: another module instance than the ES module omega uses, as in a CommonJS app. */
const cjsArrow = createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow')

/** The plugin of test estimators, loaded in the app and in every worker. */
export const TEST_PLUGIN_URL = new URL('./test-plugin.js', import.meta.url).href

/** How the runtime suite opens an instance. */
export interface RuntimeSuiteOptions {
  /** Opens an Omega with these options merged in (the suite adds `plugins: [TEST_PLUGIN_URL]`). */
  open(options: OpenOptions): Promise<Omega>
  /** The runtime runs tasks on other threads (crash and memory-limit tests need that). */
  readonly threads: boolean
}

/** y = 2·x0 − x1 + 1 over n rows. */
function linearTable(n: number): Table {
  const x0 = Float64Array.from({ length: n }, (_, i) => (i % 17) / 4)
  const x1 = Float64Array.from({ length: n }, (_, i) => (i % 5) / 2)
  const y = x0.map((v, i) => 2 * v - x1[i]! + 1)
  return tableFromArrays({ x0, x1, y })
}

/** Every runtime method and failure mode, on a runtime (inline, pool, or a plugin's). */
export function runtimeSuite(name: string, options: RuntimeSuiteOptions): void {
  describe(`${name}: runtime`, () => {
    let om: Omega
    beforeAll(async () => {
      om = await options.open({ plugins: [TEST_PLUGIN_URL] })
      await om.datasets.put(linearTable(200), 'lin')
      await om.datasets.put(linearTable(1000), 'big')
      await om.datasets.put({ not: 'a table' }, 'json-data', { kind: 'json' })
    })
    afterAll(async () => {
      await om?.close()
    })

    it('fit by dataset names stores a new version with parent, lineage and features', async () => {
      await om.models.put(new GdLinear({ epochs: 400, lr: 0.05 }), 'gd')
      const meta = await om.runtime.model('gd').fit('lin[^y]', 'lin[y]')
      expect(meta).toMatchObject({ name: 'gd', version: 2, parent: 1 })
      const lin = await om.datasets.metadata('lin')
      expect(meta.attributes.dataset).toEqual({
        op: 'fit',
        Xname: 'lin[^y]',
        Xversion: lin!.version,
        Xsha256: lin!.sha256,
        Yname: 'lin[y]',
        Yversion: lin!.version,
        Ysha256: lin!.sha256,
        rows: 200,
      })
      expect(meta.attributes.features).toEqual({ count: 2, names: ['x0', 'x1'], types: ['Float64', 'Float64'] })
      const fitted = (await om.models.get('gd')) as GdLinear
      expect(fitted.w![0]).toBeCloseTo(2, 1)
      expect(((await om.models.get('gd^')) as GdLinear).w).toBeNull()
      const positional = await om.runtime.model('gd').fit([[1, 2, 3]], [1])
      expect(positional.attributes.features).toEqual({ count: 3 })
    })

    it('fit records dataset versions; "*" means them; refit reproduces a recorded model exactly from its versions', async () => {
      const rowsFrom = (from: number, n: number): Table => {
        const t = linearTable(from + n)
        return t.slice(from, from + n)
      }
      await om.datasets.put(rowsFrom(0, 100), 'stream')
      await om.models.put(new GdLinear({ epochs: 50, lr: 0.05 }), 'rf')
      const first = await om.runtime.model('rf').fit('stream[^y]', 'stream[y]')
      expect(first.attributes.dataset).toMatchObject({ op: 'fit', Xname: 'stream[^y]', Xversion: 1, Yname: 'stream[y]', Yversion: 1, rows: 100 })
      await om.datasets.put(rowsFrom(100, 100), 'stream', { append: true })
      const second = await om.runtime.model('rf').fit('stream[^y]', 'stream[y]')
      expect(second.attributes.dataset).toMatchObject({ Xversion: 2, Yversion: 2, rows: 200 })
      expect(first.sha256).not.toBe(second.sha256)
      // "*" is the recorded version, not the latest: version 1 of the stream has 100 rows.
      expect((await om.runtime.model(`rf@${first.version}`).predict<Tensor>('*')).shape[0]).toBe(100)
      await om.datasets.put(rowsFrom(200, 50), 'stream', { append: true })
      // The earlier model, refitted on exactly its dataset versions, is the same bytes.
      const again = await om.runtime.model(`rf@${first.version}`).refit()
      expect(again.sha256).toBe(first.sha256)
      expect(again.attributes.refitOf).toEqual({ version: first.version, sha256: first.sha256, same: true })
      expect(again.attributes.dataset).toEqual(first.attributes.dataset)
      expect(again.parent).toBe(first.parent)
      const p1 = (await om.runtime.model(`rf@${first.version}`).predict<Tensor>('stream@3[^y]')).toArray()
      const p2 = (await om.runtime.model(`rf@${again.version}`).predict<Tensor>('stream@3[^y]')).toArray()
      expect(p2).toEqual(p1)
      // A chunked partialFit is refitted chunk by chunk on its versions too.
      await om.models.put(new RunningMean(), 'inc-rf')
      const inc = await om.runtime.model('inc-rf').partialFit('stream[^y]#iterchunks:chunksize=60', 'stream[y]#iterchunks:chunksize=60')
      expect(inc.attributes.dataset).toMatchObject({ op: 'partialFit', Xversion: 3, chunks: 5, rows: 250 })
      await om.datasets.put(rowsFrom(250, 10), 'stream', { append: true })
      expect((await om.runtime.model('inc-rf').refit()).sha256).toBe(inc.sha256)
      // Nothing to repeat: a put, or a fit on inline data; a dropped dataset version is E_NOT_FOUND.
      await rejectsWith(om.runtime.model('rf@1').refit(), 'E_INVALID_ARGUMENT')
      const inline = await om.runtime.model('rf').fit([[1, 2], [2, 3]], [1, 2])
      await rejectsWith(om.runtime.model(`rf@${inline.version}`).refit(), 'E_INVALID_ARGUMENT')
      await om.datasets.drop('stream@1')
      await rejectsWith(om.runtime.model(`rf@${first.version}`).refit(), 'E_NOT_FOUND')
    })

    it('predict returns a Tensor for every kind of input, and "*" uses the last fit\'s data', async () => {
      await om.models.put(new GdLinear({ epochs: 400 }), 'p')
      await om.runtime.model('p').fit('lin[^y]', 'lin[y]')
      const model = om.runtime.model('p')
      const expected = ((await om.models.get('p')) as GdLinear).predict([[1, 1], [2, 0]])
      const rows = [[1, 1], [2, 0]]
      const inputs: unknown[] = [
        rows,
        [{ x0: 1, x1: 1 }, { x0: 2, x1: 0 }],
        tableFromArrays({ x0: Float64Array.of(1, 2), x1: Float64Array.of(1, 0) }),
        cjsArrow.tableFromArrays({ x0: Float64Array.of(1, 2), x1: Float64Array.of(1, 0) }),
        new Tensor('float64', [2, 2], Float64Array.of(1, 1, 2, 0)),
        new Tensor('float32', [2, 2], Float32Array.of(1, 1, 2, 0)),
      ]
      for (const X of inputs) {
        const y = await model.predict<Tensor>(X as never)
        expect(y).toBeInstanceOf(Tensor)
        expect(y.shape).toEqual([2])
        const got = y.toArray() as number[]
        got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 10))
      }
      expect(((await model.predict<Tensor>('*')).toArray() as number[]).length).toBe(200)
      expect(((await model.predict<Tensor>('lin[x0,x1]#rows:start=10,end=15')).toArray() as number[]).length).toBe(5)
      await om.models.put(new RunningMean().fit([[0]], [2]), 'mean1')
      expect((await om.runtime.model('mean1').predict<Tensor>([3, 4, 5])).toArray()).toEqual([2, 2, 2])
    })

    it('predict with rName stores the predictions as a dataset; inline data leaves no dataset behind', async () => {
      const before = await om.datasets.list(undefined, { hidden: true, includeTemp: true })
      await om.models.put(new GdLinear({ epochs: 50 }), 'r')
      await om.runtime.model('r').fit([[1, 2], [2, 3], [3, 5]], [1, 2, 3])
      expect(await om.datasets.list(undefined, { hidden: true, includeTemp: true })).toEqual(before)
      const meta = (await om.runtime.model('r').predict('lin[^y]', { rName: 'preds' })) as Metadata
      expect(meta).toMatchObject({ name: 'preds', kind: 'arrow.table', attributes: { model: 'r@2', X: 'lin[^y]' } })
      const table = (await om.datasets.get('preds')) as Table
      expect(table.numRows).toBe(200)
      expect(table.schema.fields.map((f) => f.name)).toEqual(['y'])
      expect((await om.models.metadata('r'))!.attributes.dataset).toEqual({ op: 'fit', X: 'inline', Y: 'inline', rows: 3 })
    })

    it('predictProba, transform and score', async () => {
      await om.models.put(new RunningMean().fit([[0], [0]], [1, 3]), 'rm')
      const proba = await om.runtime.model('rm').predictProba([[1], [2], [3]])
      expect(proba.shape).toEqual([3, 2])
      expect(proba.toArray()).toEqual([[0.25, 0.75], [0.25, 0.75], [0.25, 0.75]])
      const t = await om.runtime.model('rm').transform([[5, 6], [2, 2]])
      expect(t.toArray()).toEqual([[3, 4], [0, 0]])
      await om.models.put(new GdLinear({ epochs: 500 }), 's')
      await om.runtime.model('s').fit('lin[^y]', 'lin[y]')
      const r2 = await om.runtime.model('s').score('lin[^y]', 'lin[y]')
      expect(r2).toBeGreaterThan(0.95)
      expect(await om.runtime.model('s').score('*', '*')).toBe(r2)
    })

    it('partialFit consumes #iterchunks chunk by chunk and stores one version', async () => {
      await om.models.put(new RunningMean(), 'inc')
      const progress: number[] = []
      const meta = await om.runtime.model('inc').partialFit('big[^y]#iterchunks:chunksize=300', 'big[y]#iterchunks:chunksize=300', {
        onProgress: (p) => progress.push(p.done),
      })
      expect(progress).toEqual([1, 2, 3, 4])
      expect(meta.version).toBe(2)
      expect(meta.attributes.dataset).toMatchObject({ Xname: 'big[^y]#iterchunks:chunksize=300', rows: 1000, chunks: 4 })
      const model = (await om.models.get('inc')) as RunningMean
      expect(model.chunks).toBe(4)
      expect(model.n).toBe(1000)
      const single = await om.runtime.model('inc').partialFit([[1]], [100])
      expect(((await om.models.get(`inc@${single.version}`)) as RunningMean).n).toBe(1001)
      await rejectsWith(om.runtime.model('inc').partialFit('big[^y]#iterchunks:chunksize=300', 'big[y]'), 'E_INVALID_ARGUMENT')
      await rejectsWith(om.runtime.model('inc').fit('big[^y]#iterchunks:chunksize=300', 'big[y]'), 'E_INVALID_ARGUMENT')
    })

    it('gridsearch runs every combination × fold and stores the best as a new version', async () => {
      await om.models.put(new GdLinear(), 'grid')
      const progress: number[] = []
      const meta = await om.runtime.model('grid').gridsearch('lin[^y]', 'lin[y]', { params: { epochs: [1, 300], lr: [0.001, 0.05] }, cv: 3 }, {
        onProgress: (p) => progress.push(p.done),
      })
      expect(progress).toHaveLength(12)
      expect(Math.max(...progress)).toBe(12)
      const report = meta.attributes.gridsearch as { best: { params: object; score: number }; scores: { params: object; folds: number[] }[]; cv: number }
      expect(report.best.params).toEqual({ epochs: 300, lr: 0.05 })
      expect(report.scores).toHaveLength(4)
      expect(report.scores.every((s) => s.folds.length === 3)).toBe(true)
      expect(report.cv).toBe(3)
      const best = (await om.models.get('grid')) as GdLinear
      expect([best.epochs, best.lr]).toEqual([300, 0.05])
      const mse = await om.runtime.model('grid@1').gridsearch('lin[^y]', 'lin[y]', { params: { epochs: [5, 100] }, cv: 2, scoring: 'neg_mean_squared_error' })
      expect((mse.attributes.gridsearch as { best: { params: object } }).best.params).toEqual({ epochs: 100 })
      await rejectsWith(om.runtime.model('grid').gridsearch('lin[^y]', 'lin[y]', { params: { epochs: [] } }), 'E_INVALID_ARGUMENT')
      await rejectsWith(om.runtime.model('grid').gridsearch('lin[^y]', 'lin[y]', { params: { epochs: [1] }, scoring: 'f1' }), 'E_INVALID_ARGUMENT')
    })

    it('refit of a gridsearch version re-runs the recorded search on its dataset versions: the same best params and model', async () => {
      const table = linearTable(120)
      await om.datasets.put(table.slice(0, 90), 'gs-data')
      await om.models.put(new GdLinear(), 'gs')
      const searched = await om.runtime.model('gs').gridsearch('gs-data[^y]', 'gs-data[y]', { params: { epochs: [5, 200], lr: [0.001, 0.05] }, cv: 3, seed: 7, scoring: 'neg_mean_squared_error' })
      expect(searched.attributes.dataset).toMatchObject({ op: 'gridsearch', Xversion: 1, Yversion: 1, rows: 90 })
      // New rows arrive; the refit still searches version 1 only.
      await om.datasets.put(table.slice(90), 'gs-data', { append: true })
      const again = await om.runtime.model(`gs@${searched.version}`).refit()
      expect(again.sha256).toBe(searched.sha256)
      expect(again.attributes.refitOf).toEqual({ version: searched.version, sha256: searched.sha256, same: true })
      expect(again.attributes.gridsearch).toEqual(searched.attributes.gridsearch)
      expect(again.attributes.dataset).toEqual(searched.attributes.dataset)
      expect(again.parent).toBe(searched.parent)
    })

    it('a predict on name@2 uses version 2 while a fit writes version 3', async () => {
      await om.models.put(new RunningMean().fit([[0]], [1]), 'v')
      await om.models.put(new RunningMean().fit([[0]], [2]), 'v')
      const fit = om.runtime.model('v').fit('big[^y]', 'big[y]')
      const pinned = om.runtime.model('v@2').predict<Tensor>([[0]])
      expect((await pinned).toArray()).toEqual([2])
      expect((await fit).version).toBe(3)
      expect((await om.runtime.model('v@2').predict<Tensor>([[0]])).toArray()).toEqual([2])
    })

    it('bad input: unknown model and dataset, wrong width, unfitted, row mismatch, selector on non-table', async () => {
      const err = await rejectsWith(om.runtime.model('nope').predict([[1]]), 'E_NOT_FOUND')
      expect(err.message).toContain('nope')
      await om.models.put(new GdLinear({ epochs: 50 }), 'bad')
      expect((await rejectsWith(om.runtime.model('bad').fit('missing-data[^y]', 'lin[y]'), 'E_NOT_FOUND')).message).toContain('missing-data')
      await om.runtime.model('bad').fit('lin[^y]', 'lin[y]')
      const shape = await rejectsWith(om.runtime.model('bad').predict([[1, 2, 3]]), 'E_DATA_SHAPE')
      expect(shape.message).toMatch(/expects 2 features \(x0, x1\), X has 3/)
      const unfitted = await rejectsWith(om.runtime.model('bad@1').predict([[1, 2]]), 'E_WORKER')
      expect(unfitted.message).toContain('not fitted')
      expect(unfitted.message).toContain('estimator.GdLinear predict of "bad@1"')
      expect((await rejectsWith(om.runtime.model('bad').fit('lin[^y]', [1, 2, 3]), 'E_DATA_SHAPE')).message).toMatch(/Y has 3 rows but X has 200/)
      await rejectsWith(om.runtime.model('bad').predict('json-data[a]'), 'E_INVALID_ARGUMENT')
      await rejectsWith(om.runtime.model('bad').predict('json-data'), 'E_INVALID_ARGUMENT')
      await rejectsWith(om.runtime.model('bad@1').predict('*'), 'E_INVALID_ARGUMENT')
      await rejectsWith(om.runtime.model('bad').predict('lin[nope]'), 'E_INVALID_ARGUMENT')
      expect((await om.models.revisions('bad')).length).toBe(2)
    })

    it('inputs are matched by name: tables, records and datasets are reordered to the fitted columns', async () => {
      await om.models.put(new GdLinear({ epochs: 400 }), 'named')
      await om.runtime.model('named').fit('lin[^y]', 'lin[y]')
      const model = om.runtime.model('named')
      const want = (await model.predict<Tensor>([[1, 1], [2, 0]])).toArray() as number[]
      const swapped = [
        [{ x1: 1, x0: 1 }, { x1: 0, x0: 2 }],
        tableFromArrays({ x1: Float64Array.of(1, 0), x0: Float64Array.of(1, 2) }),
      ]
      for (const X of swapped) expect((await model.predict<Tensor>(X as never)).toArray()).toEqual(want)
      const lin = (await om.datasets.get('lin')) as Table
      await om.datasets.put(lin.select(['y', 'x1', 'x0']), 'lin-swapped')
      const inOrder = (await model.predict<Tensor>('lin[^y]')).toArray()
      expect((await model.predict<Tensor>('lin-swapped[^y]')).toArray()).toEqual(inOrder)
      expect(await model.score('lin-swapped[^y]', 'lin-swapped[y]')).toBe(await model.score('lin[^y]', 'lin[y]'))
      expect((await model.predict<Tensor>(new Tensor('float64', [2, 2], Float64Array.of(1, 1, 2, 0)))).toArray()).toEqual(want)
    })

    it('bad input: a missing, misnamed or extra column, or text, booleans and dates where numbers are needed, never predict', async () => {
      await om.models.put(new GdLinear({ epochs: 50 }), 'strict')
      await om.runtime.model('strict').fit('lin[^y]', 'lin[y]')
      const model = om.runtime.model('strict')
      const missing = await rejectsWith(model.predict([{ x0: 1 }]), 'E_DATA_SHAPE')
      expect(missing.message).toBe('model "strict@2" was fitted on columns x0, x1; X lacks "x1"')
      const ragged = await rejectsWith(model.predict([{ x0: 1, x1: 2 }, { x0: 1 }]), 'E_DATA_SHAPE')
      expect(ragged.message).toBe('record 1 lacks column "x1" of X (x0, x1); give every column in every record (null for a missing value)')
      const misnamed = await rejectsWith(model.predict([{ x0: 1, X1: 2 }]), 'E_DATA_SHAPE')
      expect(misnamed.message).toContain('fitted on columns x0, x1; X lacks "x1" and has unknown column "X1"')
      expect((await rejectsWith(model.predict('lin'), 'E_DATA_SHAPE')).message).toContain('has unknown column "y"')
      expect((await rejectsWith(model.predict('lin[x1]'), 'E_DATA_SHAPE')).message).toContain('lacks "x0"')
      expect((await rejectsWith(model.predictProba('lin[x1,y]'), 'E_DATA_SHAPE')).message).toContain('lacks "x0" and has unknown column "y"')
      expect((await rejectsWith(model.transform(tableFromArrays({ x0: Float64Array.of(1) })), 'E_DATA_SHAPE')).message).toContain('lacks "x1"')
      expect((await rejectsWith(model.score('lin[x0]', 'lin[y]'), 'E_DATA_SHAPE')).message).toContain('lacks "x1"')
      const text = await rejectsWith(model.predict([{ x0: 'a', x1: 1 }]), 'E_DATA_SHAPE')
      expect(text.message).toContain('column "x0" is Utf8, but the model was fitted on Float64 there (expected columns: x0, x1)')
      const dictionary = new Table({ x0: vectorFromArray(['a', 'b'], new Dictionary(new Utf8(), new Int32())), x1: vectorFromArray([1, 2], new Float64()) })
      expect((await rejectsWith(model.predict(dictionary), 'E_DATA_SHAPE')).message).toContain('column "x0" is Dictionary<Int32, Utf8>')
      expect((await rejectsWith(model.predict([{ x0: 1.5, x1: true }]), 'E_DATA_SHAPE')).message).toContain('column "x1" is Bool')
      expect((await rejectsWith(model.predict([{ x0: new Date(0), x1: 1.5 }]), 'E_DATA_SHAPE')).message).toContain('column "x0" is Timestamp<MILLISECOND>')
      const strings = await rejectsWith(model.predict([['a', 'b']] as never), 'E_DATA_SHAPE')
      expect(strings.message).toBe('model "strict@2" takes numbers (x0, x1), but X holds strings ("a" first)')
      expect((await rejectsWith(model.predict([[1, 'b']] as never), 'E_DATA_SHAPE')).message).toMatch(/X row 0, column 1: "b" is not a number/)
      expect((await rejectsWith(model.predict([[1, true]] as never), 'E_DATA_SHAPE')).message).toMatch(/X row 0, column 1: a boolean true is not a number/)
      expect((await rejectsWith(model.predict(new Tensor('string', [1, 2], ['a', 'b'])), 'E_DATA_SHAPE')).message).toContain('X holds strings')
      expect((await rejectsWith(model.predict([[1, 2, 3]]), 'E_DATA_SHAPE')).message).toMatch(/expects 2 features \(x0, x1\), X has 3/)
      await om.models.put(new RunningMean().fit([[0]], [1]), 'unchecked')
      expect((await rejectsWith(om.runtime.model('unchecked').predict([['a']] as never), 'E_DATA_SHAPE')).message).toContain('X holds strings ("a" first)')
      expect((await rejectsWith(om.runtime.model('unchecked').predict({ a: [[1]], b: [[2]] } as never), 'E_INVALID_ARGUMENT')).message).toContain('X is a record of named inputs (a, b)')
    })

    it('an estimator whose predict returns too few rows, ragged rows or non-numbers is E_WORKER naming it; string labels are kept', async () => {
      const cases: [string, string][] = [
        ['short', 'estimator Troublemaker predict returned 2 rows for 3 input rows'],
        ['ragged', 'estimator Troublemaker predict returned ragged rows: row 1 has 1 values, row 0 has 2'],
        ['null', 'estimator Troublemaker predict returned null at row 1, not a number; it must return one result per input row (3)'],
      ]
      for (const [mode, message] of cases) {
        await om.models.put(new Troublemaker(mode), `out-${mode}`)
        expect((await rejectsWith(om.runtime.model(`out-${mode}`).predict([[1], [2], [3]]), 'E_WORKER')).message).toContain(message)
      }
      await om.models.put(new Troublemaker('labels'), 'out-labels')
      const labels = await om.runtime.model('out-labels').predict<Tensor>([[1], [-1]])
      expect(labels.dtype).toBe('string')
      expect(labels.toArray()).toEqual(['yes', 'no'])
    })

    it('a framework error is E_WORKER carrying its message, and the store is unchanged', async () => {
      await om.models.put(new Troublemaker('throw'), 'tm')
      const before = await om.models.revisions('tm')
      const err = await rejectsWith(om.runtime.model('tm').fit([[1]], [1]), 'E_WORKER')
      expect(err.message).toContain('boom from the framework')
      expect((await rejectsWith(om.runtime.model('tm').predict([[1]]), 'E_WORKER')).message).toContain('predict exploded inside the framework')
      expect(await om.models.revisions('tm')).toEqual(before)
      expect(OmegaError.is(err)).toBe(true)
    })

    it('abort before start, abort while running and timeoutMs reject and store nothing; the runtime keeps serving', async () => {
      await om.models.put(new Troublemaker(options.threads ? 'spin' : 'sleep'), 'slow')
      const ac = new AbortController()
      ac.abort()
      await rejectsWith(om.runtime.model('slow').predict([[1]], { signal: ac.signal }), 'E_ABORTED')
      const running = new AbortController()
      setTimeout(() => running.abort(), 200)
      const t0 = Date.now()
      const aborted = await rejectsWith(om.runtime.model('slow').predict([[1]], { signal: running.signal }), 'E_ABORTED')
      expect(aborted.name).toBe('AbortError')
      expect(Date.now() - t0).toBeLessThan(2500)
      await rejectsWith(om.runtime.model('slow').predict([[1]], { timeoutMs: 150 }), 'E_TIMEOUT')
      expect((await om.models.revisions('slow')).length).toBe(1)
      await om.models.put(new RunningMean().fit([[0]], [7]), 'after')
      expect((await om.runtime.model('after').predict<Tensor>([[0]])).toArray()).toEqual([7])
    })

    it.runIf(options.threads)('a worker that exits or runs out of memory rejects with E_WORKER and the pool serves later calls', { timeout: 60_000 }, async () => {
      await om.models.put(new Troublemaker('exit'), 'exit')
      const exited = await rejectsWith(om.runtime.model('exit').predict([[1]]), 'E_WORKER')
      expect(exited.message).toMatch(/worker|exited/)
      await om.models.put(new Troublemaker('oom'), 'oom')
      const oom = await rejectsWith(om.runtime.model('oom').predict([[1]]), 'E_WORKER')
      expect(oom.message).toMatch(/memory/i)
      await om.models.put(new RunningMean().fit([[0]], [5]), 'alive')
      expect((await om.runtime.model('alive').predict<Tensor>([[0]])).toArray()).toEqual([5])
    })

    it('close waits for running calls, or aborts them with abortRunning', async () => {
      const other = await options.open({ plugins: [TEST_PLUGIN_URL] })
      await other.models.put(new RunningMean().fit([[0]], [1]), 'm')
      await other.models.put(new Troublemaker('sleep'), 'long')
      const quick = other.runtime.model('m').fit([[0]], [3])
      await other.close()
      expect((await quick).version).toBe(2)
      await rejectsWith(other.runtime.model('m').predict([[0]]), 'E_ABORTED')
      const third = await options.open({ plugins: [TEST_PLUGIN_URL] })
      await third.models.put(new Troublemaker('sleep'), 'long')
      const long = rejectsWith(third.runtime.model('long').predict([[0]]), 'E_ABORTED')
      await new Promise((r) => setTimeout(r, 100))
      await third.close({ abortRunning: true })
      expect((await long).message).toContain('closed')
    })
  })
}

