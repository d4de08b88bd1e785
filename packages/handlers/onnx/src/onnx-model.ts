import type { Table } from 'apache-arrow'
import { Tensor, errors, isNamedInputs, matchColumns, tableToTensor, toModelInput, type InlineData, type JsonObject, type TensorDtype } from '@omega/core'

/** A tensor as onnxruntime hands it over (onnxruntime's `Tensor` is one). */
export interface OrtTensor {
  readonly type: string
  readonly dims: readonly number[]
  readonly data: unknown
}

/**
 * The onnxruntime session behind an {@link OnnxModel}: the part omega uses. An onnxruntime
 * `InferenceSession` (native or WebAssembly) is one. Declared here rather than imported so that
 * omega's declarations do not pull in onnxruntime-common's, which name browser types (DOM) and so
 * fail strict checks (`skipLibCheck: false`) in Node applications.
 */
export interface OnnxSession {
  run(feeds: Record<string, OrtTensor>, fetches: readonly string[]): Promise<Record<string, OrtTensor>>
  release(): Promise<void>
}

/** The Tensor class of the onnxruntime build that created a session. */
export type OrtTensorClass = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor

/** One graph input or output: name, element type and shape (strings are symbolic dims such as `N`). */
export interface OnnxValueInfo {
  readonly name: string
  readonly type: string
  readonly shape: readonly (number | string)[]
}

/** What `OnnxModel.predict` takes: one input's data, or a record of input name → data. */
export type OnnxInputs = InlineData | Readonly<Record<string, InlineData>>

/** Options of `OnnxModel.predict`. */
export interface OnnxPredictOptions {
  /** Only these outputs (default: all). One name gives a Tensor. */
  readonly outputs?: readonly string[]
}

const ORT_TYPES: Record<string, TensorDtype> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16',
  int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64', bool: 'bool', string: 'string',
}

/**
 * A stored ONNX model, ready to run: an onnxruntime InferenceSession plus what its graph expects.
 * `predict` maps tables, `number[][]`, records and Tensors (or a record of those, one per input)
 * onto the graph's inputs, converting element types and checking shapes before running.
 * int64 outputs (class labels) come back as BigInt64Array tensors; `Tensor.toArray()` turns values
 * within ±2^53 into numbers.
 */
export class OnnxModel {
  readonly inputs: readonly OnnxValueInfo[]
  readonly outputs: readonly OnnxValueInfo[]
  #closed = false

  constructor(
    readonly session: OnnxSession,
    readonly kindMeta: JsonObject,
    /** The model file's bytes (kept so a gotten model can be put again). */
    readonly bytes: Uint8Array,
    /** The Tensor class of the onnxruntime build that created `session`. */
    readonly ortTensor: OrtTensorClass,
  ) {
    this.inputs = kindMeta.inputs as unknown as OnnxValueInfo[]
    this.outputs = kindMeta.outputs as unknown as OnnxValueInfo[]
  }

  /**
   * Runs the model. One output (the graph has one, or `options.outputs` names one) comes back as a
   * Tensor; several as a record of output name → Tensor. Narrow the result with `isTensor`.
   *
   * @throws {OmegaError} E_DATA_SHAPE naming the input, the expected and the given shape; E_WORKER for a runtime failure
   */
  async predict(X: OnnxInputs, options: OnnxPredictOptions & { readonly outputs: readonly [string] }): Promise<Tensor>
  async predict(X: OnnxInputs, options?: OnnxPredictOptions): Promise<Tensor | Record<string, Tensor>>
  async predict(X: OnnxInputs, options: OnnxPredictOptions = {}): Promise<Tensor | Record<string, Tensor>> {
    if (this.#closed) throw errors.invalidArgument('this OnnxModel was closed')
    const feeds = this.#feeds(X)
    // onnxruntime's JS API returns only tensors, so sequence/map outputs (scikit-learn's ZipMap) are left out by default.
    const wanted = options.outputs ?? this.outputs.filter((o) => o.type !== 'non-tensor').map((o) => o.name)
    for (const name of wanted) {
      const info = this.outputs.find((o) => o.name === name)
      if (!info) throw errors.invalidArgument(`output "${name}" is not an output of this model; outputs: ${this.outputs.map((o) => o.name).join(', ')}`)
      if (info.type === 'non-tensor') {
        throw errors.unsupported(`output "${name}" is a sequence or map (such as scikit-learn's ZipMap), which onnxruntime cannot return; export the model without it (skl2onnx: options={'zipmap': False})`, { output: name })
      }
    }
    if (wanted.length === 0) throw errors.unsupported('this model has no tensor outputs that onnxruntime can return')
    const result = await this.session.run(feeds, [...wanted])
    const out: Record<string, Tensor> = {}
    for (const name of wanted) out[name] = fromOrt(result[name] as OrtTensor, name)
    return wanted.length === 1 ? out[wanted[0]!]! : out
  }

  /** Releases the native session. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.session.release()
  }

  #feeds(X: OnnxInputs): Record<string, OrtTensor> {
    const names = this.inputs.map((i) => i.name)
    const perInput = this.#split(X)
    const unknown = Object.keys(perInput).filter((k) => !names.includes(k))
    if (unknown.length > 0) throw errors.dataShape(`unknown input ${unknown.map((u) => `"${u}"`).join(', ')}; the model's inputs are ${names.join(', ')}`, { inputs: names, unknown })
    const missing = names.filter((n) => !(n in perInput))
    if (missing.length > 0) throw errors.dataShape(`missing input ${missing.map((u) => `"${u}"`).join(', ')}; the model's inputs are ${names.join(', ')}`, { inputs: names, missing })
    return Object.fromEntries(this.inputs.map((info) => [info.name, toOrt(this.ortTensor, perInput[info.name], info)]))
  }

  /**
   * Assigns the given data to inputs: a record by input name; a table's columns by
   * `inputColumns`, by `featureNames` (single input) or by input name (one-column inputs) —
   * matched by name and reordered, a missing or unknown column refused; other data positionally
   * to the only input.
   */
  #split(X: unknown): Record<string, unknown> {
    const input = toModelInput(X, 'X')
    if (isNamedInputs(input)) return input
    const names = this.inputs.map((i) => i.name)
    const columns = this.kindMeta.inputColumns as Record<string, string[]> | undefined
    const featureNames = this.kindMeta.featureNames as string[] | undefined
    if (isTable(input) && columns) {
      const table = matchColumns(input, Object.values(columns).flat(), `this model's inputs take columns ${Object.entries(columns).map(([i, c]) => `${i}: ${c.join(', ')}`).join('; ')}; X`)
      return Object.fromEntries(Object.entries(columns).map(([name, cols]) => [name, table.select(cols)]))
    }
    if (isTable(input) && featureNames) return { [names[0]!]: matchColumns(input, featureNames, `this model takes columns ${featureNames.join(', ')}; X`) }
    if (this.inputs.length === 1) return { [names[0]!]: input }
    if (isTable(input)) {
      const given = input.schema.fields.map((f) => f.name)
      if (names.every((n) => given.includes(n))) return Object.fromEntries(names.map((n) => [n, input.select([n])]))
    }
    throw errors.dataShape(`this model has ${this.inputs.length} inputs (${names.join(', ')}); pass a record { ${names.map((n) => `${n}: …`).join(', ')} }, or put it with inputColumns`, {
      inputs: names,
    })
  }
}

function isTable(input: Table | Tensor): input is Table {
  return !(input instanceof Tensor)
}

/** One input's data as an ORT tensor of the input's element type, after checking rank and fixed dims. */
function toOrt(TensorClass: OrtTensorClass, value: unknown, info: OnnxValueInfo): OrtTensor {
  const input = toModelInput(value, `input "${info.name}"`)
  if (isNamedInputs(input)) throw errors.invalidArgument(`input "${info.name}" must be a table, rows or a Tensor, not a record`)
  if (!(input instanceof Tensor)) {
    // Booleans fit a bool input; text, dates and booleans fed to a numeric input are refused, not coerced.
    const bad = input.schema.fields.find((f) => !/^(u?int|float|decimal)/i.test(String(f.type)) && !(info.type === 'bool' && String(f.type) === 'Bool'))
    if (bad) {
      throw errors.dataShape(`input "${info.name}" takes ${info.type}, but column "${bad.name}" is ${String(bad.type)}; encode it as numbers first`, { input: info.name, column: bad.name, type: String(bad.type) })
    }
  }
  let tensor = input instanceof Tensor ? input : tableToTensor(input, `input "${info.name}"`)
  // A one-column table or a flat array fed to a [N] input is a vector, not a matrix.
  if (info.shape.length === 1 && tensor.shape.length === 2 && tensor.shape[1] === 1) tensor = new Tensor(tensor.dtype, [tensor.shape[0]!], tensor.data)
  const given = tensor.shape
  const expected = info.shape
  const fail = (): never => {
    throw errors.dataShape(`input "${info.name}" expects shape [${expected.join(', ')}], got [${given.join(', ')}]`, {
      input: info.name,
      expected: expected.map(String),
      got: [...given],
    })
  }
  if (given.length !== expected.length) fail()
  expected.forEach((d, i) => {
    if (typeof d === 'number' && d >= 0 && given[i] !== d) fail()
  })
  const type = info.type
  return new TensorClass(type as 'float32', convert(tensor, type, info.name) as Float32Array, [...given])
}

function convert(tensor: Tensor, type: string, input: string): unknown {
  const data = tensor.data as ArrayLike<unknown>
  if (tensor.dtype === 'string' && type !== 'string') {
    throw errors.dataShape(`input "${input}" takes ${type}, but got strings (${JSON.stringify(data[0])} first); encode text as numbers first`, { input, expected: type, got: 'string' })
  }
  switch (type) {
    case 'float32':
      return tensor.dtype === 'float32' ? tensor.data : Float32Array.from(data as ArrayLike<number>, Number)
    case 'float64':
      return tensor.dtype === 'float64' ? tensor.data : Float64Array.from(data as ArrayLike<number>, Number)
    case 'int32':
      return Int32Array.from(data as ArrayLike<number>, Number)
    case 'int64':
      return tensor.dtype === 'int64' ? tensor.data : BigInt64Array.from(data as ArrayLike<number>, (v) => {
        if (!Number.isInteger(Number(v))) throw errors.dataShape(`input "${input}" is int64 but got ${String(v)}`)
        return BigInt(v)
      })
    case 'bool':
      return Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0))
    case 'string':
      return Array.from(data, String)
    default:
      throw errors.unsupported(`input "${input}" has element type ${type}, which omega cannot feed yet`)
  }
}

function fromOrt(t: OrtTensor, name: string): Tensor {
  const dtype = ORT_TYPES[t.type]
  if (!dtype) throw errors.unsupported(`output "${name}" has element type ${t.type}, which omega cannot return yet`)
  return new Tensor(dtype, [...t.dims].map(Number), t.data as never)
}
