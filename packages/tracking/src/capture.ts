import { Table, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow'
import { Tensor, decodeInput, isArrowTable, predictionTable, type EncodedData, type JsonObject, type ModelInput, type ObservedInput, type TaskResult } from '@omega/core'

/**
 * What a tracked call captured of X or Y, kept cheaply on the hot path and turned into Arrow IPC
 * bytes only when the buffer is flushed: a dataset reference (name and version read), or the data.
 */
export type Captured =
  | { readonly ref: { readonly name: string; readonly version?: number } }
  | { readonly data: () => Uint8Array | null }

/** A captured X: by reference when it came from a dataset, else a private copy of the values. */
export function captureInput(x: ObservedInput, featureNames: readonly string[] | undefined): Captured {
  if (x.name !== undefined) return { ref: { name: x.name, ...(x.version !== undefined && { version: x.version }) } }
  const input = snapshotInput(x.input)
  return { data: () => (input === undefined ? null : tableToIPC(inputTable(input, featureNames))) }
}

/** A captured prediction: a private copy of the result bytes, decoded only at flush. */
export function captureResult(result: TaskResult): Captured | undefined {
  if (result.type === 'tensor') {
    const data = copyEncoded(result.data)
    return { data: () => tableToIPC(predictionTable(decodeInput(data) as Tensor)) }
  }
  if (result.type === 'tensors') {
    const copies = Object.fromEntries(Object.entries(result.data).map(([k, v]) => [k, copyEncoded(v)]))
    return { data: () => tableToIPC(predictionTable(Object.fromEntries(Object.entries(copies).map(([k, v]) => [k, decodeInput(v) as Tensor])))) }
  }
  return undefined
}

function copyEncoded(data: EncodedData): EncodedData {
  return { ...data, bytes: data.bytes.slice() }
}

/** Tables are immutable; a caller may reuse a tensor's buffer for the next batch, so tensors are copied. */
function snapshotInput(input: ModelInput): Table | Tensor | undefined {
  if (isArrowTable(input)) return input
  if (input instanceof Tensor) return new Tensor(input.dtype, input.shape, input.data.slice() as never)
  return undefined // named inputs (multi-input models) are recorded by their shape only
}

/** A tensor as a table: one column per feature (named as at fit, else x0, x1 …), or `x` for 1-D. */
export function inputTable(input: Table | Tensor, featureNames: readonly string[] | undefined): Table {
  if (isArrowTable(input)) return input
  const rows = input.shape[0] ?? 1
  const width = input.shape.slice(1).reduce((a, b) => a * b, 1)
  const data = input.data as ArrayLike<number>
  const columns: Record<string, Vector> = {}
  if (input.shape.length <= 1) columns.x = vectorFromArray(Float64Array.from(data))
  else {
    for (let j = 0; j < width; j++) {
      const column = new Float64Array(rows)
      for (let i = 0; i < rows; i++) column[i] = Number(data[i * width + j])
      columns[featureNames?.[j] ?? `x${j}`] = vectorFromArray(column)
    }
  }
  return new Table(columns)
}

/** The JSON description of a capture for the event's `json` column. */
export function describeCapture(c: Captured | undefined): JsonObject | undefined {
  if (!c) return undefined
  return 'ref' in c ? { ...c.ref } : { inline: true }
}
