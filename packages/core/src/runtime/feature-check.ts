import { Type, type DataType, type Table } from 'apache-arrow'
import { errors } from '../errors.js'
import { Tensor } from '../data/tensor.js'
import { inputFeatures, isNamedInputs, type ModelInput } from './task-codec.js'

/** The features a model was fitted on, as `attributes.features` records them. */
export interface FittedFeatures {
  readonly count?: number
  /** Column names, when the model was fitted on a table, records or a dataset. */
  readonly names?: readonly string[]
  /** Arrow types of those columns (`Float64`, `Int32`, `Bool`…). */
  readonly types?: readonly string[]
}

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ')

/**
 * Checks X against the features a model was fitted on, before anything runs. A table (from a
 * dataset name, an Arrow table or records) is matched by column name and reordered to the fitted
 * order; a missing or unknown column, or a text, boolean or date column where the model was
 * fitted on numbers, is refused. Positional data (`number[][]`, Tensors) is checked by width and
 * must hold numbers.
 *
 * @returns X, with its columns in the fitted order
 * @throws {OmegaError} E_DATA_SHAPE naming the offending columns and listing the expected ones
 */
export function matchFeatures(input: ModelInput, expected: FittedFeatures | undefined, model: string): ModelInput {
  if (expected?.count === undefined || isNamedInputs(input)) return input
  const names = expected.names
  const list = names ? ` (${names.join(', ')})` : ''
  if (names && !(input instanceof Tensor)) {
    const ordered = matchColumns(input, names, `model "${model}" was fitted on columns ${names.join(', ')}; X`)
    ordered.schema.fields.forEach((field, j) => {
      const fitted = expected.types?.[j]
      const type = field.type
      if (numeric(type) || (convertible(type) && (fitted === undefined || fitted === String(type)))) return
      throw errors.dataShape(`model "${model}": column "${field.name}" is ${String(type)}, but the model was fitted on ${fitted ?? 'numbers'} there (expected columns: ${names.join(', ')})`, {
        column: field.name,
        type: String(type),
        ...(fitted !== undefined && { fitted }),
      })
    })
    return ordered
  }
  const got = inputFeatures(input).count
  if (got !== expected.count) {
    throw errors.dataShape(`model "${model}" expects ${expected.count} features${list}, X has ${got}`, { expected: expected.count, got })
  }
  if (input instanceof Tensor && input.dtype === 'string') {
    throw errors.dataShape(`model "${model}" takes numbers${list}, but X holds strings (${JSON.stringify((input.data as string[])[0])} first)`, { expected: expected.count, dtype: 'string' })
  }
  return input
}

/**
 * A table's columns matched by name to `expected` and reordered to it.
 *
 * @param subject starts the message: "<subject> lacks "a" and has unknown column "b""
 * @throws {OmegaError} E_DATA_SHAPE naming missing and unknown columns
 */
export function matchColumns(table: Table, expected: readonly string[], subject: string): Table {
  const given = table.schema.fields.map((f) => f.name)
  const missing = expected.filter((n) => !given.includes(n))
  const unknown = given.filter((n) => !expected.includes(n))
  if (missing.length > 0 || unknown.length > 0) {
    const what = [missing.length > 0 && `lacks ${quoted(missing)}`, unknown.length > 0 && `has unknown column${unknown.length > 1 ? 's' : ''} ${quoted(unknown)}`].filter(Boolean).join(' and ')
    throw errors.dataShape(`${subject} ${what}`, { expected: [...expected], missing, unknown })
  }
  return given.every((n, i) => n === expected[i]) ? table : table.select([...expected])
}

/** Arrow types that are numbers as such (not booleans, dates or text). */
function numeric(type: DataType): boolean {
  return type.typeId === Type.Int || type.typeId === Type.Float || type.typeId === Type.Decimal
}

/** Non-numeric types a model can still take (as 0/1 and epoch ms), if it was fitted on them. */
function convertible(type: DataType): boolean {
  return type.typeId === Type.Bool || type.typeId === Type.Timestamp || type.typeId === Type.Date
}
