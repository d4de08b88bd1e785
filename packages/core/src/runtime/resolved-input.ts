import { Tensor } from '../data/tensor.js'
import { inputFeatures, inputRows, type ModelInput } from './task-codec.js'

/** A resolved X or Y: the data, where it came from, and its shape. */
export interface ResolvedInput {
  readonly input: ModelInput
  readonly name?: string
  readonly sha256?: string
  /** The dataset version read (the name addressed exactly that version). */
  readonly version?: number
  readonly rows: number
  readonly features: { count: number; names?: string[]; types?: string[] }
  /** True if the bytes are omega's own (from the store): they may be transferred without a copy. */
  readonly owned: boolean
  /**
   * Set when the input is exactly what this name (selectors included) reads at this dataset
   * version, so an executor that reads the store itself can be sent the name instead of the bytes.
   */
  readonly stored?: DatasetRef
}

/** A dataset read by name at a version (see {@link ResolvedInput.stored}). */
export interface DatasetRef {
  readonly bucket: string
  /** The name with its selectors, pinned to the version (`data@3[^y]`). */
  readonly name: string
}

/** An input with its row count; a table's feature list is computed on first use (only fits record it). */
export function resolved(input: ModelInput, owned: boolean, name?: string, sha256?: string, version?: number, stored?: DatasetRef): ResolvedInput {
  if (input instanceof Tensor && name === undefined && sha256 === undefined && version === undefined && stored === undefined) {
    // The hot predict's inline tensor: its features cost a multiplication, and an object literal
    // with a getter of its own gets a hidden class of its own (allocated, and kept while the call waits).
    return { input, owned, rows: inputRows(input), features: inputFeatures(input) }
  }
  let features: ResolvedInput['features'] | undefined
  return {
    input,
    owned,
    rows: inputRows(input),
    // Only fits record features: a predict does not pay for listing a table's columns.
    get features() {
      return (features ??= inputFeatures(input))
    },
    ...(name !== undefined && { name }),
    ...(sha256 !== undefined && { sha256 }),
    ...(version !== undefined && { version }),
    ...(stored !== undefined && { stored }),
  }
}
