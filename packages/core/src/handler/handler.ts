import type { JsonObject } from '../json.js'
import type { Table } from 'apache-arrow'
import type { Tensor } from '../data/tensor.js'

/** The four stores of an Omega instance. */
export type StoreName = 'models' | 'datasets' | 'scripts' | 'jobs'

/** A handler's output: data only (JSON for metadata, bytes for blobs), never executable code. */
export interface Artifacts {
  /** Stored verbatim as `Metadata.kindMeta`; must survive `JSON.stringify`/`parse` unchanged. */
  readonly kindMeta: JsonObject
  /** Named binary parts; each becomes one content-addressed blob. */
  readonly parts: Readonly<Record<string, Uint8Array | AsyncIterable<Uint8Array>>>
}

/** What `deserialize` gets: metadata at once, parts on demand (a column selector reads only its columns). */
export interface StoredArtifacts {
  /** The stored object's name, for messages (absent for artifacts a runtime holds in memory). */
  readonly name?: string
  readonly kindMeta: JsonObject
  readonly partNames: readonly string[]
  /** The part's bytes, verified against its sha256 (E_INTEGRITY otherwise). */
  bytes(part: string): Promise<Uint8Array>
  /**
   * Optional: the bytes of several parts, verified, in the order asked. Where the backend can read
   * into a given buffer (fs), they are views of one buffer read for all of them (one allocation
   * for a whole table instead of one per part), which the result keeps alive as long as any view.
   */
  bytesMany?(parts: readonly string[]): Promise<Uint8Array[]>
  /** The part's bytes as a stream; each chunk is verified before it is delivered. */
  stream(part: string): AsyncIterable<Uint8Array>
  /** The part's recorded size in bytes. */
  size(part: string): number
}

/** Context of one put or get. */
export interface HandlerContext {
  /** The object's name (no suffixes). */
  readonly name: string
  readonly store: StoreName
  readonly signal?: AbortSignal
  /** The options the caller passed to put/get, for handler-specific settings. */
  readonly options: Readonly<Record<string, unknown>>
}

/**
 * Turns one kind of value into {@link Artifacts} and back. Never touches storage: handlers and
 * backends meet only at artifacts.
 */
export interface Handler<T = unknown> {
  /** `<framework>.<format>`: 'onnx.model', 'mljs.RandomForestClassifier', 'arrow.table', 'json'… */
  readonly kind: string
  /** Which stores consult this handler when choosing one for a value. */
  readonly stores: readonly StoreName[]
  /** Cheap, synchronous, no I/O: does this handler take the value? */
  supports(value: unknown): boolean
  /** Turns the value into artifacts. May validate (ONNX creates a session) and throw. */
  serialize(value: T, context: HandlerContext): Promise<Artifacts>
  /** Rebuilds the value. Never evaluates stored code. */
  deserialize(stored: StoredArtifacts, context: HandlerContext): Promise<T>
}

/** Options of a model operation. */
export interface ModelCallOptions {
  readonly signal?: AbortSignal
  /** Operation-specific settings (hyper-parameters for fit, `outputs` for ONNX predict…). */
  readonly params?: JsonObject
  /** Progress of long operations (epochs or trees done). */
  readonly onProgress?: (progress: { readonly done: number; readonly total?: number; readonly message?: string }) => void
}

/**
 * Feature matrix or target given to a model operation: a table (columns are features), a tensor,
 * or a record of those by input name (multi-input models; others refuse it).
 */
export type ModelData = Tensor | Table | Readonly<Record<string, Tensor | Table>>

/**
 * A handler whose values can be executed. Every operation is optional: a missing method means the
 * framework cannot do it, and core throws E_UNSUPPORTED naming the kind and the operation.
 */
export interface ModelHandler<M = unknown> extends Handler<M> {
  fit?(model: M, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions): Promise<M>
  partialFit?(model: M, X: ModelData, Y: ModelData | undefined, options: ModelCallOptions): Promise<M>
  predict?(model: M, X: ModelData, options: ModelCallOptions): Promise<Tensor | Readonly<Record<string, Tensor>>>
  predictProba?(model: M, X: ModelData, options: ModelCallOptions): Promise<Tensor>
  transform?(model: M, X: ModelData, options: ModelCallOptions): Promise<Tensor>
  score?(model: M, X: ModelData, Y: ModelData, options: ModelCallOptions): Promise<number>
  /**
   * True if predict, predictProba and transform give each row the same result whether it comes
   * alone or stacked with other rows, for a model with this kindMeta: the pool may then merge
   * concurrent calls into one task (dynamic batching). Absent means no.
   */
  rowIndependent?(kindMeta: JsonObject): boolean

  /**
   * What the last fit or partialFit of this live model measured (a neural network's loss per
   * epoch), stored as `attributes.metrics` of the version the runtime commits. Plain JSON.
   */
  metrics?(model: M): JsonObject | undefined
  /** Hyper-parameters of a model and a copy with others set, for gridsearch. */
  params?(model: M): JsonObject
  withParams?(model: M, params: JsonObject): Promise<M>
}

/** The operations a {@link ModelHandler} may offer. */
export const MODEL_OPERATIONS = ['fit', 'partialFit', 'predict', 'predictProba', 'transform', 'score'] as const
/** One of {@link MODEL_OPERATIONS}. */
export type ModelOperation = (typeof MODEL_OPERATIONS)[number]

/** Names a value's type for messages: its class name, or typeof. */
export function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'Array'
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor
    return ctor?.name ? ctor.name : 'Object'
  }
  return typeof value
}
