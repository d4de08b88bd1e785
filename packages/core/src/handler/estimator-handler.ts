import { OmegaError, errors } from '../errors.js'
import { isPlainObject, toJson, type JsonObject, type JsonValue } from '../json.js'
import { Tensor } from '../data/tensor.js'
import { asTensor, sourceRows } from '../runtime/task-codec.js'
import { describeType, type Artifacts, type HandlerContext, type ModelCallOptions, type ModelData, type ModelHandler, type StoredArtifacts } from './handler.js'

/** Rows of features, as estimators take them. */
export type Matrix = number[][]
/** A target: one value per row, or several outputs per row. */
export type Target = number[] | number[][]

/**
 * A class whose instances can be stored as estimators: the constructor identifies it, `load`
 * rebuilds an instance from its `toJSON()` output. Only the registered name is stored, never code.
 */
export interface EstimatorClass<M extends object = object> {
  readonly prototype: M
  readonly name: string
  load?(json: JsonValue): M
}

/**
 * How omega drives one estimator class. Every member is optional; the defaults call the
 * instance's own `fit`, `partialFit`, `predict`, `predictProba`, `score`, `transform`, `toJSON`
 * and the class's static `load`. Adapters let classes with other method names (ml.js `train`)
 * or with training in the constructor be stored and run.
 */
export interface EstimatorAdapter<M extends object = object> {
  toJSON?(model: M): JsonValue
  load?(json: JsonValue): M
  /**
   * Checks stored JSON before `load` (or `create`, for an unfitted model) sees it: its structure,
   * and every count or size a loader loops over or allocates against the data actually present
   * (`byteLength` is the stored part's size). Stored bytes may be hostile: a framework's `load`
   * usually trusts them, and 88 bytes claiming 1e9 classes can abort the process. Throw to refuse;
   * the handler reports E_MODEL_LOAD naming the object.
   */
  validate?(json: JsonValue, byteLength: number, fitted: boolean): void
  /** Fits and returns the fitted model (the same instance or a new one). */
  fit?(model: M, X: Matrix, y: Target | undefined, params: JsonObject): M | Promise<M>
  partialFit?(model: M, X: Matrix, y: Target | undefined, params: JsonObject): M | Promise<M>
  predict?(model: M, X: Matrix): ArrayLike<number> | Matrix | Promise<ArrayLike<number> | Matrix>
  predictProba?(model: M, X: Matrix): Matrix | Promise<Matrix>
  transform?(model: M, X: Matrix): Matrix | Promise<Matrix>
  score?(model: M, X: Matrix, y: Target): number | Promise<number>
  /** False for an instance that has not been fitted yet (then `params` is stored, not `toJSON`). */
  isFitted?(model: M): boolean
  /** Inference treats every row on its own (no batch statistics): concurrent calls may be merged. */
  readonly rowIndependent?: boolean
  /** Hyper-parameters of an instance: constructor options, plain JSON. */
  params?(model: M): JsonObject
  /** A new unfitted instance with these hyper-parameters. */
  create?(params: JsonObject): M
}

/** Options of `registerEstimator`. */
export interface RegisterEstimatorOptions {
  /** The stored kind. @default `estimator.<name>` */
  readonly kind?: string
}

interface StoredEstimator extends JsonObject {
  fitted: boolean
  model: JsonValue
}

type Method = (this: object, ...args: unknown[]) => unknown

function method(model: object, name: string): Method | undefined {
  const fn = (model as Record<string, unknown>)[name]
  return typeof fn === 'function' ? (fn as Method) : undefined
}

/**
 * The handler of one registered estimator class (`mljs.RandomForestClassifier`,
 * `estimator.MyModel`). Stored form: one JSON part `{ fitted, model }` plus the class name in
 * kindMeta; loading parses JSON and calls the registered class's `load`.
 */
export class EstimatorHandler<M extends object = object> implements ModelHandler<M> {
  readonly kind: string
  readonly stores = ['models'] as const

  constructor(
    readonly estimator: string,
    readonly cls: EstimatorClass<M>,
    readonly adapter: EstimatorAdapter<M> = {},
    options: RegisterEstimatorOptions = {},
  ) {
    if (typeof (cls as unknown) !== 'function') throw errors.invalidArgument(`registerEstimator("${estimator}") needs a class`)
    if (!adapter.load && typeof cls.load !== 'function') {
      throw errors.invalidArgument(`estimator class ${estimator} needs a static load(json) method (or an adapter with load)`)
    }
    this.kind = options.kind ?? `estimator.${estimator}`
  }

  supports(value: unknown): boolean {
    return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === this.cls.prototype
  }

  async serialize(model: M, context: HandlerContext): Promise<Artifacts> {
    const fitted = this.adapter.isFitted ? this.adapter.isFitted(model) : true
    let json: JsonValue
    try {
      json = fitted ? toJson<JsonValue>(this.#toJSON(model)) : toJson<JsonValue>(this.adapter.params!(model))
    } catch (err) {
      throw OmegaError.wrap(err, 'E_UNSUPPORTED', (m) => `cannot serialise ${this.estimator} "${context.name}": ${m}`, { kind: this.kind })
    }
    const stored: StoredEstimator = { fitted, model: json }
    return {
      kindMeta: { estimator: this.estimator, fitted, format: 1 },
      parts: { model: new TextEncoder().encode(JSON.stringify(stored)) },
    }
  }

  async deserialize(stored: StoredArtifacts, context: HandlerContext): Promise<M> {
    const bytes = await stored.bytes('model')
    let doc: StoredEstimator
    try {
      doc = JSON.parse(new TextDecoder().decode(bytes)) as StoredEstimator
      if (!isPlainObject(doc) || typeof doc.fitted !== 'boolean') throw new Error('not an estimator document')
      if (!doc.fitted && !isPlainObject(doc.model)) throw new Error('the hyper-parameters of an unfitted model must be an object')
      this.adapter.validate?.(doc.model, bytes.byteLength, doc.fitted)
      if (!doc.fitted) return this.adapter.create!(doc.model as JsonObject)
      return this.adapter.load ? this.adapter.load(doc.model) : this.cls.load!(doc.model)
    } catch (err) {
      throw OmegaError.wrap(err, 'E_MODEL_LOAD', (m) => `cannot load ${this.estimator} "${context.name}": ${m}`, { kind: this.kind })
    }
  }

  async fit(model: M, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions): Promise<M> {
    return await this.#train('fit', model, X, Y, options)
  }

  async partialFit(model: M, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions): Promise<M> {
    return await this.#train('partialFit', model, X, Y, options)
  }

  async predict(model: M, X: ModelData): Promise<Tensor> {
    return await this.#infer('predict', model, X)
  }

  async predictProba(model: M, X: ModelData): Promise<Tensor> {
    return await this.#infer('predictProba', model, X)
  }

  async transform(model: M, X: ModelData): Promise<Tensor> {
    return await this.#infer('transform', model, X)
  }

  /** An inference call: the adapter's method if it has one, else the model's own. */
  async #infer(op: 'predict' | 'predictProba' | 'transform', model: M, X: ModelData): Promise<Tensor> {
    this.#fitted(model, op)
    const fn = this.adapter[op] ?? this.#own(model, op)
    const rows = toMatrix(X)
    return toTensor(await fn.call(this.adapter, model, rows), { rows: rows.length, subject: `estimator ${this.estimator} ${op}`, strings: op === 'predict' })
  }

  async score(model: M, X: ModelData, Y: ModelData): Promise<number> {
    this.#fitted(model, 'score')
    const fn = this.adapter.score ?? this.#own(model, 'score')
    const value = await fn.call(this.adapter, model, toMatrix(X), toTarget(Y))
    if (typeof value !== 'number') throw errors.unsupported(`${this.estimator}.score returned ${describeType(value)}, not a number`)
    return value
  }

  rowIndependent(): boolean {
    return this.adapter.rowIndependent === true
  }

  params(model: M): JsonObject {
    if (this.adapter.params) return this.adapter.params(model)
    const own = method(model, 'getParams')
    return own ? toJson(own.call(model)) : {}
  }

  async withParams(model: M, params: JsonObject): Promise<M> {
    const merged = { ...this.params(model), ...params }
    if (this.adapter.create) return this.adapter.create(merged)
    const Ctor = this.cls as unknown as new (p: JsonObject) => M
    return new Ctor(merged)
  }

  /** Adapters that know whether a model is fitted turn "predict on an unfitted model" into a clear error. */
  #fitted(model: M, op: string): void {
    if (this.adapter.isFitted && !this.adapter.isFitted(model)) {
      throw errors.unsupported(`this ${this.estimator} is not fitted, so it cannot ${op}; fit it first (om.runtime.model(name).fit(X, Y))`, { kind: this.kind, op })
    }
  }

  #toJSON(model: M): unknown {
    if (this.adapter.toJSON) return this.adapter.toJSON(model)
    const own = method(model, 'toJSON')
    if (!own) throw errors.unsupported(`${this.estimator} has no toJSON() method`, { kind: this.kind })
    return own.call(model)
  }

  #own(model: M, op: string): (this: unknown, m: M, ...args: unknown[]) => unknown {
    const own = method(model, op)
    if (!own) {
      throw errors.unsupported(`${this.kind} models cannot ${op}: ${this.estimator} has no ${op}() method`, { kind: this.kind, op })
    }
    return (m: M, ...args: unknown[]) => own.call(m, ...args)
  }

  async #train(op: 'fit' | 'partialFit', model: M, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions): Promise<M> {
    const params = options.params ?? {}
    const x = toMatrix(X)
    const y = Y === undefined ? undefined : toTarget(Y)
    if (y !== undefined && y.length !== x.length) {
      throw errors.dataShape(`Y has ${y.length} rows but X has ${x.length}; they must match`, { xRows: x.length, yRows: y.length })
    }
    const adapted = this.adapter[op]
    if (adapted) return await adapted.call(this.adapter, model, x, y, params)
    const own = method(model, op)
    if (!own) throw errors.unsupported(`${this.kind} models cannot ${op}: ${this.estimator} has no ${op}() method`, { kind: this.kind, op })
    const result = await own.call(model, x, y)
    return typeof result === 'object' && result !== null && Object.getPrototypeOf(result) === this.cls.prototype ? (result as M) : model
  }
}

/** A 2-D tensor (or 1-D: one feature per row) as rows of numbers. */
export function toMatrix(X: ModelData): Matrix {
  const t = asTensor(X, 'X')
  const source = sourceRows(t)
  if (source) return source
  if (t.shape.length === 1) return Array.from(t.data as ArrayLike<number>, (v) => [Number(v)])
  if (t.shape.length !== 2) throw errors.dataShape(`X must be 2-D (rows × features), got shape [${t.shape.join(', ')}]`)
  const [rows, cols] = t.shape as [number, number]
  const data = t.data as ArrayLike<number | bigint>
  const out: Matrix = new Array(rows)
  for (let r = 0; r < rows; r++) {
    const row = new Array<number>(cols)
    for (let c = 0; c < cols; c++) row[c] = Number(data[r * cols + c])
    out[r] = row
  }
  return out
}

/** A 1-D target, or a 2-D one with a single column, as a flat array; several columns as rows. */
export function toTarget(data: ModelData): Target {
  const Y = asTensor(data, 'Y')
  if (Y.shape.length === 1 || (Y.shape.length === 2 && Y.shape[1] === 1)) return Array.from(Y.data as ArrayLike<number | bigint>, Number)
  return toMatrix(Y)
}

function shown(v: unknown): string {
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : v === null || v === undefined ? String(v) : `${describeType(v)} ${String(v)}`
}

/** What an estimator's result is checked against: the input's row count, and who returned it. */
export interface ResultCheck {
  readonly rows: number
  /** Names the estimator and operation in messages: `estimator GdLinear predict`. */
  readonly subject: string
  /** Allow a flat array of strings (class labels): a string Tensor. */
  readonly strings?: boolean
}

/**
 * Predictions (a flat array, rows, an ml-matrix, or a Tensor) as a float64 Tensor (a string
 * Tensor for string labels when allowed). Values must be numbers (bigints and booleans are
 * converted), rows of one width; with `check`, one per input row.
 *
 * @throws {OmegaError} E_WORKER (with `check`; E_DATA_SHAPE without) naming what was wrong
 */
export function toTensor(values: unknown, check?: ResultCheck): Tensor {
  const fail = (why: string): never => {
    const subject = check ? `${check.subject} returned` : 'predictions are'
    throw new OmegaError(check ? 'E_WORKER' : 'E_DATA_SHAPE', `${subject} ${why}${check ? `; it must return one result per input row (${check.rows})` : ''}`, {
      details: check ? { subject: check.subject, rows: check.rows } : {},
    })
  }
  if (values instanceof Tensor) {
    if (check && (values.shape[0] ?? 1) !== check.rows) fail(`${values.shape[0] ?? 1} rows for ${check.rows} input rows`)
    if (values.dtype === 'string' && !check?.strings) fail('strings')
    return values
  }
  const rows = values as { length: number; [i: number]: unknown; to2DArray?: () => number[][] } | null | undefined
  if (rows !== null && typeof rows === 'object' && typeof rows.to2DArray === 'function') return toTensor(rows.to2DArray(), check)
  if (rows === null || typeof rows !== 'object' || typeof rows.length !== 'number') return fail(`${describeType(values)}, not an array`)
  if (check && rows.length !== check.rows) fail(`${rows.length} rows for ${check.rows} input rows`)
  const number = (v: unknown, row: number, column?: number): number =>
    typeof v === 'number' ? v : typeof v === 'bigint' || typeof v === 'boolean' ? Number(v) : fail(`${shown(v)} at row ${row}${column === undefined ? '' : `, column ${column}`}, not a number`)
  if (rows.length > 0 && Array.isArray(rows[0])) {
    const m = rows as unknown as unknown[][]
    const cols = m[0]!.length
    const data = new Float64Array(m.length * cols)
    m.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols) fail(`ragged rows: row ${i} has ${Array.isArray(row) ? `${row.length} values` : describeType(row)}, row 0 has ${cols}`)
      for (let j = 0; j < cols; j++) data[i * cols + j] = number(row[j], i, j)
    })
    return new Tensor('float64', [m.length, cols], data)
  }
  if (check?.strings && rows.length > 0 && typeof rows[0] === 'string') {
    const labels = Array.from(rows as ArrayLike<unknown>, (v, i) => (typeof v === 'string' ? v : fail(`${shown(v)} at row ${i} among string labels`)))
    return new Tensor('string', [labels.length], labels)
  }
  return new Tensor('float64', [rows.length], Float64Array.from(rows as ArrayLike<unknown>, (v, i) => number(v, i)))
}
