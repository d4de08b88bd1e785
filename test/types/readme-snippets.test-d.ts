// The README's snippets in typed form, checked by `tsc -p test/types` (part of `pnpm test`) against
// the built declarations: each result type is asserted, and each `@ts-expect-error` line is misuse
// that must not compile. This file is compiled, never run.
import { expectTypeOf } from 'vitest'
import { conformance, tempDir } from '@omega/conformance'
import {
  FsBackend,
  MemoryBackend,
  Omega,
  RandomForestClassifier,
  OmegaError,
  isArrowTable,
  isJsonValue,
  isTensor,
  type CsvProgress,
  type DatasetValue,
  type JsonValue,
  type LineageStep,
  type Metadata,
  type Plugin,
  type Prediction,
  type PredictOptions,
  type Revision,
  type RunRecord,
  type ScheduledJob,
  type ScriptOmega,
  type ScriptRun,
  type StorageBackend,
  type TickReport,
  type Table,
  type Tensor,
} from '@omega/omega'
import type { OnnxModel } from '@omega/onnx'

declare const irisRecords: { sepal_length: number; sepal_width: number; petal_length: number; petal_width: number; target: number }[]
declare const X: number[][]
declare const y: number[]
declare const moreRows: Record<string, number>[]
declare const signal: AbortSignal
declare const onProgress: (progress: { done: number; total?: number; message?: string }) => void

// ---- Quick start -------------------------------------------------------------------------------
{
  const om = await Omega.open()
  expectTypeOf(om).toEqualTypeOf<Omega>()
  expectTypeOf(await om.datasets.put(irisRecords, 'iris')).toEqualTypeOf<Metadata>()
  const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
  rf.train(X, y)
  const meta = await om.models.put(rf, 'iris-rf')
  expectTypeOf(meta).toEqualTypeOf<Metadata>()
  expectTypeOf(meta.version).toEqualTypeOf<number | undefined>()
  await om.models.put(rf, 'iris-rf', { tag: 'production' })

  const model = await om.models.get<RandomForestClassifier>('iris-rf@production')
  expectTypeOf(model).toEqualTypeOf<RandomForestClassifier>()
  expectTypeOf(model.predict([[5.1, 3.5, 1.4, 0.2]])).toEqualTypeOf<number[]>()
  expectTypeOf(await om.models.promote('iris-rf@production', om.bucket('prod').models)).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.models.revisions('iris-rf')).toEqualTypeOf<Revision[]>()
  await om.close()

  // Without the type argument the model is unknown: omega cannot know what a name holds.
  const unnamed = await om.models.get('iris-rf')
  expectTypeOf(unnamed).toBeUnknown()
  // @ts-expect-error a model of unknown type must be narrowed (or typed with get<M>) before use
  unnamed.predict([[5.1, 3.5, 1.4, 0.2]])
  if (unnamed instanceof RandomForestClassifier) expectTypeOf(unnamed.predict(X)).toEqualTypeOf<number[]>()
}

// ---- Concepts: a plugin ------------------------------------------------------------------------
{
  class Lin {
    weights: number[] = []
    fit(X: number[][], y: number[]): this {
      this.weights = X[0]!.map(() => y.length)
      return this
    }
    predict(X: number[][]): number[] {
      return X.map((row) => row.reduce((s, v, i) => s + v * (this.weights[i] ?? 0), 0))
    }
    toJSON(): JsonValue {
      return { weights: this.weights }
    }
    static load(json: JsonValue): Lin {
      const lin = new Lin()
      lin.weights = (json as { weights: number[] }).weights
      return lin
    }
  }
  const plugin: Plugin = (omega) => {
    omega.registerEstimator('Lin', Lin)
    omega.registerBackend('redis', (url) => new MemoryBackend(url))
  }
  expectTypeOf(plugin).toBeFunction()
  const om = await Omega.open({ plugins: ['./my-plugin.js'] })
  om.registerEstimator('Lin', Lin)
  // @ts-expect-error an estimator is a class, not an instance
  om.registerEstimator('Lin', new Lin())
  // @ts-expect-error plugins are named by specifier (path, URL or package), never passed as code
  await Omega.open({ plugins: [plugin] })
}

// ---- ONNX models -------------------------------------------------------------------------------
{
  const om = await Omega.open()
  await om.models.put({ path: './model.onnx' }, 'clf')
  const described = await om.models.metadata('clf')
  expectTypeOf(described).toEqualTypeOf<Metadata | undefined>()
  expectTypeOf(described!.kindMeta.inputs).toEqualTypeOf<JsonValue | undefined>()

  const model = await om.models.get<OnnxModel>('clf')
  const all = await model.predict([[5.1, 3.5, 1.4, 0.2]])
  expectTypeOf(all).toEqualTypeOf<Tensor | Record<string, Tensor>>()
  if (!isTensor(all)) expectTypeOf(all.label).toEqualTypeOf<Tensor | undefined>()
  expectTypeOf(await model.predict(X, { outputs: ['probabilities'] })).toEqualTypeOf<Tensor>()
  expectTypeOf(await model.predict(X, { outputs: ['label', 'probabilities'] })).toEqualTypeOf<Tensor | Record<string, Tensor>>()
  expectTypeOf(await model.predict({ sepal: [[5.1, 3.5]], petal: [[1.4, 0.2]] })).toEqualTypeOf<Tensor | Record<string, Tensor>>()
  // @ts-expect-error OnnxModel.predict takes data; dataset names go through om.runtime
  await model.predict('iris[^target]')
  // @ts-expect-error a multi-output result is not a Tensor until narrowed
  all.toArray()

  expectTypeOf(await om.runtime.model('clf').predict('iris[^target]')).toEqualTypeOf<Prediction>()
  await om.models.put({ path: './two.onnx' }, 'two', { inputColumns: { sepal: ['sepal_length', 'sepal_width'], petal: ['petal_length', 'petal_width'] } })
  expectTypeOf(await om.runtime.model('clf').predict(X, { params: { sessionOptions: { intraOpNumThreads: 4 } } })).toEqualTypeOf<Prediction>()
  await model.close()
}

// ---- Versions, tags and promotion --------------------------------------------------------------
{
  const om = await Omega.open()
  const otherInstance = await Omega.open({ store: 'fs:./prod' })
  expectTypeOf(await om.models.put(new RandomForestClassifier({}), 'clf')).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.models.get('clf@2')).toBeUnknown()
  expectTypeOf(await om.models.get<RandomForestClassifier>('clf^')).toEqualTypeOf<RandomForestClassifier>()
  expectTypeOf(await om.models.tag('clf@3', 'production')).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.models.metadata('clf@production')).toEqualTypeOf<Metadata | undefined>()
  const revisions = await om.models.revisions('clf')
  expectTypeOf(revisions[0]!.parent).toEqualTypeOf<number | null>()
  expectTypeOf(await om.models.drop('clf@2')).toEqualTypeOf<boolean>()
  expectTypeOf(await om.models.promote('clf@production', om.bucket('prod').models)).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.models.promote('clf', otherInstance.models)).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.bucket('prod').models.lineage('clf')).toEqualTypeOf<LineageStep[]>()
  // @ts-expect-error a promote target is a store, not a bucket name
  await om.models.promote('clf', 'prod')
}

// ---- Runtime: fit and predict by name ----------------------------------------------------------
{
  const om = await Omega.open()
  await om.models.put(new RandomForestClassifier({ nEstimators: 25 }), 'mymodel')
  expectTypeOf(await om.runtime.model('mymodel').fit('mydata[^target]', 'mydata[target]')).toEqualTypeOf<Metadata>()

  // predict: a Tensor, or a record of tensors for a multi-output model. Narrow, or say which.
  const y1 = await om.runtime.model('mymodel').predict('mydata[^target]')
  expectTypeOf(y1).toEqualTypeOf<Tensor | Readonly<Record<string, Tensor>>>()
  // @ts-expect-error a prediction may be a record of tensors: narrow it first
  y1.toArray()
  if (isTensor(y1)) expectTypeOf(y1.toArray).toBeFunction()
  else expectTypeOf(y1).toEqualTypeOf<Readonly<Record<string, Tensor>>>()
  const y2 = await om.runtime.model('mymodel').predict<Tensor>('mydata[^target]')
  expectTypeOf(y2).toEqualTypeOf<Tensor>()
  y2.toArray()
  // @ts-expect-error predict<T> only names one of the shapes predict returns
  await om.runtime.model('mymodel').predict<number[]>('mydata[^target]')

  expectTypeOf(await om.runtime.model('mymodel').predict([[5.1, 3.5, 1.4, 0.2]])).toEqualTypeOf<Prediction>()
  expectTypeOf(await om.runtime.model('mymodel').predict(irisRecords)).toEqualTypeOf<Prediction>()
  // rName stores the predictions and returns the dataset's metadata.
  expectTypeOf(await om.runtime.model('mymodel@2').predict('newdata', { rName: 'preds' })).toEqualTypeOf<Metadata>()
  // @ts-expect-error with rName the result is Metadata, not a Tensor
  await om.runtime.model('mymodel@2').predict<Tensor>('newdata', { rName: 'preds' })
  const maybeStored: PredictOptions = {}
  expectTypeOf(await om.runtime.model('mymodel').predict(X, maybeStored)).toEqualTypeOf<Prediction | Metadata>()

  expectTypeOf(await om.runtime.model('mymodel').predictProba(X)).toEqualTypeOf<Tensor>()
  expectTypeOf(await om.runtime.model('mymodel').transform(X)).toEqualTypeOf<Tensor>()
  expectTypeOf(await om.runtime.model('mymodel').score('*', '*')).toEqualTypeOf<number>()
  expectTypeOf(await om.runtime.model('inc').partialFit('big[^y]#iterchunks:chunksize=5000', 'big[y]#iterchunks:chunksize=5000')).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.runtime.model('tree').gridsearch('mydata[^target]', 'mydata[target]', { params: { maxDepth: [1, 2, 4] }, cv: 3 })).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.runtime.model('mymodel').predict(X, { signal, timeoutMs: 5000, onProgress })).toEqualTypeOf<Prediction>()
  // @ts-expect-error predictProba has no rName
  await om.runtime.model('mymodel').predictProba(X, { rName: 'p' })
  // @ts-expect-error X is a dataset name or data
  await om.runtime.model('mymodel').predict(42)
  await om.close()
  await om.close({ abortRunning: true })
}

// ---- Datasets ----------------------------------------------------------------------------------
{
  const om = await Omega.open()
  expectTypeOf(await om.datasets.readCsv('./wine.csv', 'wine', { chunkSize: 50_000 })).toEqualTypeOf<Metadata>()
  // Selectors, #operations, filters and columns apply to tables only: the result is a Table.
  expectTypeOf(await om.datasets.get('wine[alcohol,target]')).toEqualTypeOf<Table>()
  expectTypeOf(await om.datasets.get('wine[^target]')).toEqualTypeOf<Table>()
  expectTypeOf(await om.datasets.get('wine', { filter: { alcohol: { gte: 14 }, target: { in: [0, 1] } } })).toEqualTypeOf<Table>()
  expectTypeOf(await om.datasets.get('wine', { columns: ['alcohol'] })).toEqualTypeOf<Table>()
  expectTypeOf(await om.datasets.get('wine#rows:start=100,end=200')).toEqualTypeOf<Table>()
  expectTypeOf(await om.datasets.put(moreRows, 'wine', { append: true })).toEqualTypeOf<Metadata>()
  for await (const chunk of om.datasets.iter('wine#iterchunks:chunksize=10000')) expectTypeOf(chunk).toEqualTypeOf<Table>()
  expectTypeOf(await om.datasets.writeCsv('wine[^target]', './features.csv')).toEqualTypeOf<CsvProgress>()

  // A plain name may hold any kind of dataset: narrow it, or say which kind you stored.
  const any = await om.datasets.get('wine')
  expectTypeOf(any).toEqualTypeOf<DatasetValue>()
  expectTypeOf<DatasetValue>().toEqualTypeOf<Table | Tensor | Uint8Array | JsonValue>()
  if (isArrowTable(any)) expectTypeOf(any).toEqualTypeOf<Table>()
  else if (isTensor(any)) expectTypeOf(any).toEqualTypeOf<Tensor>()
  else if (any instanceof Uint8Array) expectTypeOf(any).toEqualTypeOf<Uint8Array>()
  else if (isJsonValue(any)) expectTypeOf(any).toEqualTypeOf<JsonValue>()
  expectTypeOf(await om.datasets.get<Table>('wine')).toEqualTypeOf<Table>()
  expectTypeOf(await om.datasets.get<Tensor>('weights')).toEqualTypeOf<Tensor>()
  const name: string = 'wine'
  expectTypeOf(await om.datasets.get(name)).toEqualTypeOf<DatasetValue>()
  // @ts-expect-error a dataset is a Table, Tensor, bytes or JSON, never a model
  await om.datasets.get<RandomForestClassifier>('wine')
  // @ts-expect-error a table has no tensor shape: a selector gives a Table
  ;(await om.datasets.get('wine[alcohol]')).shape
  // Datasets are versioned like models (SPEC §8): tags, revisions, retention.
  expectTypeOf(await om.datasets.tag('wine@1', 'production')).toEqualTypeOf<Metadata>()
  expectTypeOf(await om.datasets.revisions('wine')).toEqualTypeOf<Revision[]>()
  // @ts-expect-error keep is a number of versions
  await om.datasets.put([], 'wine', { keep: 'all' })
}

// ---- Storage backends: the conformance suite ---------------------------------------------------
{
  const flipAByte = async (backend: StorageBackend, sha256: string): Promise<void> => {
    expectTypeOf(await backend.blobs.has(sha256)).toEqualTypeOf<boolean>()
  }
  conformance('mine', { factory: (dir = tempDir()) => new FsBackend(dir), tamper: flipAByte })
  // @ts-expect-error the factory builds a StorageBackend
  conformance('mine', { factory: (dir = tempDir()) => dir })
}

// ---- Errors ------------------------------------------------------------------------------------
{
  const om = await Omega.open({ store: 'memory:' })
  try {
    await om.models.get('nope')
  } catch (err) {
    if (OmegaError.is(err, 'E_NOT_FOUND')) {
      expectTypeOf(err).toEqualTypeOf<OmegaError>()
      expectTypeOf(err.transient).toEqualTypeOf<boolean>()
    }
    // @ts-expect-error error codes are a closed set
    OmegaError.is(err, 'E_NOPE')
  }
}

// ---- Scripts and jobs --------------------------------------------------------------------------
{
  const om = await Omega.open()
  expectTypeOf(await om.scripts.put({ path: './scripts/report.mjs' }, 'report')).toEqualTypeOf<Metadata>()
  await om.scripts.put('export async function run(om, args) { return args.n * 2 }', 'double')
  // @ts-expect-error a script is a path or module source text, not a function
  await om.scripts.put(() => 1, 'fn')
  const run = await om.runtime.script('double').run<number>({ n: 21 }, { timeoutMs: 60_000, signal })
  expectTypeOf(run).toEqualTypeOf<ScriptRun<number>>()
  expectTypeOf(run.result).toEqualTypeOf<number>()
  expectTypeOf(run.durationMs).toEqualTypeOf<number>()
  const job = await om.jobs.schedule('report', 'weekdays at 9:30', { args: { top: 5 }, timezone: 'Europe/Zurich', catchUp: 'skip' })
  expectTypeOf(job).toEqualTypeOf<ScheduledJob>()
  expectTypeOf(job.next).toEqualTypeOf<string | null>()
  // @ts-expect-error the catch-up policy is 'once' or 'skip'
  await om.jobs.schedule('report', 'daily at 06:00', { catchUp: 'always' })
  expectTypeOf(await om.jobs.next('report', 3)).toEqualTypeOf<string[]>()
  expectTypeOf(await om.jobs.list()).toEqualTypeOf<string[]>()
  const runs = await om.jobs.runs('report')
  expectTypeOf(runs).toEqualTypeOf<RunRecord[]>()
  expectTypeOf(runs[0]!.status).toEqualTypeOf<'success' | 'failed'>()
  expectTypeOf(await om.runtime.scheduler.start({ now: () => new Date() })).toEqualTypeOf<TickReport>()
  await om.runtime.scheduler.stop()
  expectTypeOf(await om.jobs.unschedule('report')).toEqualTypeOf<boolean>()
  // What a script's run(om, args) receives, for typed scripts.
  const typed = async (o: ScriptOmega, args: { source: string }): Promise<Metadata> => await o.datasets.put([{ rows: ((await o.datasets.get(args.source)) as Table).numRows }], 'summary')
  void typed
  await om.close()
}
