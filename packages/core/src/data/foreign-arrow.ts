import {
  Binary,
  BinaryView,
  Bool,
  Data,
  DataType,
  Date_,
  Decimal,
  Dictionary,
  Duration,
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Float,
  Int,
  Interval,
  LargeBinary,
  LargeList,
  LargeUtf8,
  List,
  Map_,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Time,
  Timestamp,
  Type,
  Union,
  UnionMode,
  Utf8,
  Utf8View,
  Vector,
  makeData,
} from 'apache-arrow'
import { OmegaError, errors } from '../errors.js'

/**
 * Arrow tables from another copy of apache-arrow: the CommonJS build next to omega's ES module
 * build (two module instances), or another major version in the application. Their classes are
 * not omega's, so omega's IPC writer and visitors cannot read them; but the memory layout of every
 * column is the Arrow specification's, so each column is re-wrapped as omega's own `Data` over the
 * same buffers (zero-copy; a buffer is copied only if its byte offset is misaligned for the typed
 * array omega's type expects).
 */

/** What omega reads from a foreign object: plain property access, checked as it goes. */
type Loose = { readonly [key: string]: unknown }

const TABLE_MARK = Symbol.for('apache-arrow/Table')
const BATCH_MARK = Symbol.for('apache-arrow/RecordBatch')

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null

/** 'Table' / 'RecordBatch' for an apache-arrow instance of any copy (by brand, class tag or class name). */
function arrowClass(value: Loose): string | undefined {
  if (value[TABLE_MARK as never] === true) return 'Table'
  if (value[BATCH_MARK as never] === true) return 'RecordBatch'
  const ctor = value.constructor as { [Symbol.toStringTag]?: unknown; name?: unknown } | undefined
  const tag = ctor?.[Symbol.toStringTag] ?? ctor?.name
  return typeof tag === 'string' ? tag : undefined
}

const hasSchema = (v: Loose): boolean => isObject(v.schema) && Array.isArray(v.schema.fields)

/** True for an Arrow Table of any copy of apache-arrow (recognised by class and shape). */
export function looksLikeTable(value: unknown): boolean {
  return isObject(value) && safely(() => arrowClass(value) === 'Table' && hasSchema(value) && Array.isArray(value.batches))
}

/** True for an Arrow RecordBatch of any copy of apache-arrow (recognised by class and shape). */
export function looksLikeRecordBatch(value: unknown): boolean {
  return isObject(value) && safely(() => arrowClass(value) === 'RecordBatch' && hasSchema(value) && isObject(value.data))
}

/** A test on an unknown object whose getters may throw: false then. */
function safely(test: () => boolean): boolean {
  try {
    return test()
  } catch {
    return false
  }
}

/** `instanceof` without apache-arrow's cross-copy `Symbol.hasInstance`: really this module's class. */
const own = (Class: abstract new (...args: never[]) => unknown, value: unknown): boolean => Function.prototype[Symbol.hasInstance].call(Class, value)

function ownType(type: DataType): boolean {
  if (!own(DataType, type)) return false
  if (type.typeId === Type.Dictionary) return ownType((type as Dictionary).dictionary) && ownType((type as Dictionary).indices)
  return (type.children ?? []).every((f: Field) => ownType(f.type))
}

const ownSchema = (schema: Schema): boolean => own(Schema, schema) && schema.fields.every((f) => ownType(f.type))

const ownBatch = (batch: RecordBatch): boolean => own(RecordBatch, batch) && own(Data, batch.data) && ownSchema(batch.schema)

/**
 * A Table of omega's apache-arrow from a Table or RecordBatch of any copy: omega's own are returned
 * as they are (a batch wrapped in a Table), others rebuilt over the same buffers.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT naming the column and its type, for a column omega cannot
 *   read (an unknown type, missing or short buffers)
 */
export function ownTable(value: Table | RecordBatch): Table {
  if (own(Table, value) && ownSchema(value.schema) && (value as Table).batches.every(ownBatch)) return value as Table
  if (own(RecordBatch, value) && ownBatch(value as RecordBatch)) return new Table([value as RecordBatch])
  try {
    const v = value as unknown as Loose
    const schema = toSchema(v.schema as Loose)
    const batches = arrowClass(v) === 'RecordBatch' ? [v] : (v.batches as unknown[])
    return new Table(schema, batches.map((b, i) => toBatch(b, schema, i)))
  } catch (err) {
    if (OmegaError.is(err)) throw err
    throw new OmegaError('E_INVALID_ARGUMENT', `this Arrow table (from another copy of apache-arrow) cannot be read: ${(err as Error).message}`, { cause: err })
  }
}

function fail(where: string, type: Loose | undefined, reason: string): never {
  const shown = type === undefined ? '' : ` (${describe(type)})`
  throw errors.invalidArgument(`this Arrow table (from another copy of apache-arrow) cannot be read: ${where}${shown} ${reason}`, {
    where,
    ...(type !== undefined && { type: describe(type) }),
  })
}

function describe(type: Loose): string {
  try {
    const id = type.typeId as number
    return `${String(type)}, type id ${id}${Type[id] === undefined ? '' : ` = ${Type[id]}`}`
  } catch {
    return 'an unreadable type'
  }
}

function toSchema(schema: Loose): Schema {
  const fields = (schema.fields as unknown[]).map((f, j) => toField(f, `column ${j}`))
  return new Schema(fields, metadataOf(schema.metadata))
}

function metadataOf(value: unknown): Map<string, string> | undefined {
  return value instanceof Map ? new Map([...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), String(v)])) : undefined
}

function toField(field: unknown, where: string): Field {
  if (!isObject(field) || typeof field.name !== 'string' || !isObject(field.type)) fail(where, undefined, 'is not an Arrow field (a name and a type)')
  const name = `${where.startsWith('column') ? 'column' : where + ' child'} "${field.name}"`
  return new Field(field.name, toType(field.type as Loose, name), field.nullable === true, metadataOf(field.metadata))
}

const oneOf = <T>(value: unknown, allowed: readonly T[]): value is T => allowed.includes(value as T)

/** The same logical type built from omega's classes; anything unknown is E_INVALID_ARGUMENT. */
function toType(t: Loose, where: string): DataType {
  const bad = (): never => fail(where, t, 'has a type omega cannot read')
  const child = (i: number): Field => {
    const children = t.children
    if (!Array.isArray(children) || children[i] === undefined) return bad()
    return toField(children[i], where)
  }
  const unit = (max: number): number => (oneOf(t.unit, Array.from({ length: max + 1 }, (_, i) => i)) ? (t.unit as number) : bad())
  switch (t.typeId) {
    case Type.Null: return new Null()
    case Type.Int: return oneOf(t.bitWidth, [8, 16, 32, 64]) && typeof t.isSigned === 'boolean' ? new Int(t.isSigned, t.bitWidth as 8) : bad()
    case Type.Float: return oneOf(t.precision, [0, 1, 2]) ? new Float(t.precision as 2) : bad()
    case Type.Binary: return new Binary()
    case Type.Utf8: return new Utf8()
    case Type.LargeBinary: return new LargeBinary()
    case Type.LargeUtf8: return new LargeUtf8()
    case Type.BinaryView: return new BinaryView()
    case Type.Utf8View: return new Utf8View()
    case Type.Bool: return new Bool()
    case Type.Decimal: {
      const bitWidth = t.bitWidth ?? 128
      return typeof t.scale === 'number' && typeof t.precision === 'number' && oneOf(bitWidth, [32, 64, 128, 256]) ? new Decimal(t.scale, t.precision, bitWidth) : bad()
    }
    case Type.Date: return new Date_(unit(1))
    case Type.Time: return oneOf(t.bitWidth, [32, 64]) ? new Time(unit(3), t.bitWidth as 32) : bad()
    case Type.Timestamp: return new Timestamp(unit(3), typeof t.timezone === 'string' ? t.timezone : null)
    case Type.Interval: return new Interval(unit(2))
    case Type.Duration: return new Duration(unit(3))
    case Type.List: return new List(child(0))
    case Type.LargeList: return new LargeList(child(0))
    case Type.FixedSizeList: return Number.isInteger(t.listSize) ? new FixedSizeList(t.listSize as number, child(0)) : bad()
    case Type.FixedSizeBinary: return Number.isInteger(t.byteWidth) ? new FixedSizeBinary(t.byteWidth as number) : bad()
    case Type.Map: return new Map_(child(0) as Field<Struct>, t.keysSorted === true)
    case Type.Struct: return Array.isArray(t.children) ? new Struct(t.children.map((_, i) => child(i))) : bad()
    case Type.Union: {
      if (!oneOf(t.mode, [UnionMode.Sparse, UnionMode.Dense]) || !Array.isArray(t.children) || !isArrayLike(t.typeIds)) return bad()
      return new Union(t.mode, Array.from(t.typeIds as ArrayLike<number>), t.children.map((_, i) => child(i)))
    }
    case Type.Dictionary: {
      if (!isObject(t.dictionary) || !isObject(t.indices)) return bad()
      const indices = toType(t.indices, `${where} indices`)
      if (indices.typeId !== Type.Int) return bad()
      return new Dictionary(toType(t.dictionary, `${where} values`), indices as never, typeof t.id === 'number' ? t.id : undefined, t.isOrdered === true)
    }
    default: return bad()
  }
}

const isArrayLike = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || ArrayBuffer.isView(v)

type ViewCtor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayBufferView & ArrayLike<number | bigint>; new (length: number): ArrayBufferView & ArrayLike<number | bigint>; readonly BYTES_PER_ELEMENT: number }

/** `buffer` as a `Ctor` over the same bytes (copied only when its offset is misaligned for `Ctor`). */
function view(Ctor: ViewCtor, buffer: unknown, where: string, type: Loose): (ArrayBufferView & ArrayLike<number | bigint>) | undefined {
  if (buffer === undefined || buffer === null) return undefined
  if (!ArrayBuffer.isView(buffer)) return fail(where, type, 'has a buffer that is not a typed array')
  if (buffer.constructor === Ctor) return buffer as InstanceType<ViewCtor>
  const size = Ctor.BYTES_PER_ELEMENT
  const length = Math.floor(buffer.byteLength / size)
  if (buffer.byteOffset % size === 0) return new Ctor(buffer.buffer, buffer.byteOffset, length)
  const copy = new Uint8Array(length * size)
  copy.set(new Uint8Array(buffer.buffer, buffer.byteOffset, length * size))
  return new Ctor(copy.buffer, 0, length)
}

/** Bytes per value of a fixed-width type (0 for the others). */
function byteWidth(type: DataType): number {
  switch (type.typeId) {
    case Type.Int:
    case Type.Time:
    case Type.Decimal: return (type as Int).bitWidth / 8
    case Type.Float: return [2, 4, 8][(type as Float).precision]!
    case Type.Date: return (type as Date_).unit === 0 ? 4 : 8
    case Type.Timestamp:
    case Type.Duration: return 8
    case Type.Interval: return [4, 8, 16][(type as Interval).unit]!
    case Type.FixedSizeBinary: return (type as FixedSizeBinary).byteWidth
    case Type.Dictionary: return (type as Dictionary).indices.bitWidth / 8
    case Type.BinaryView:
    case Type.Utf8View: return 16
    default: return 0
  }
}

function toBatch(batch: unknown, schema: Schema, i: number): RecordBatch {
  if (!isObject(batch) || !isObject(batch.data) || !Array.isArray(batch.data.children)) return fail(`record batch ${i}`, undefined, 'has no column data')
  const struct = batch.data
  const length = count(struct.length, `record batch ${i}`)
  const children = schema.fields.map((f, j) => toData((struct.children as unknown[])[j], f.type, `column "${f.name}"`))
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }))
}

function count(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return fail(where, undefined, `has an invalid length or offset (${String(value)})`)
  return value
}

/** One column (or child) as omega's `Data` of `type` over the foreign buffers, after checking their sizes. */
function toData(data: unknown, type: DataType, where: string): Data {
  const foreignType = isObject(data) && isObject(data.type) ? data.type : (type as unknown as Loose)
  if (!isObject(data)) return fail(where, foreignType, 'has no data')
  const short = (): never => fail(where, foreignType, 'has buffers too short for its length')
  const offset = count(data.offset ?? 0, where)
  const length = count(data.length, where)
  const end = offset + length
  const nullCount = typeof data.nullCount === 'number' ? data.nullCount : -1
  if (type.typeId === Type.Null) return new Data(type, offset, length, length)
  const nullBitmap = view(Uint8Array, data.nullBitmap, where, foreignType) as Uint8Array | undefined
  if (nullCount !== 0 && nullBitmap && nullBitmap.byteLength > 0 && nullBitmap.byteLength * 8 < end) short()
  if (nullCount > 0 && (!nullBitmap || nullBitmap.byteLength === 0) && type.typeId !== Type.Union) short()
  const kids = Array.isArray(data.children) ? (data.children as unknown[]) : []
  const childOf = (i: number, f: Field): Data => toData(kids[i], f.type, `${where} child "${f.name}"`)
  let valueOffsets: InstanceType<ViewCtor> | undefined
  let values: InstanceType<ViewCtor> | undefined
  let typeIds: InstanceType<ViewCtor> | undefined
  let children: Data[] = []
  let dictionary: Vector | undefined
  let variadic: Uint8Array[] = []
  // apache-arrow's slices keep `offset` for the validity bitmap (and Bool's bits) but narrow the
  // other buffers (value offsets, fixed-width values, type ids, views) and the children of fixed
  // layouts (Struct, FixedSizeList) to the slice: sizes are checked against that.
  const offsets = (entries = length + 1): number => {
    valueOffsets = view((type as { OffsetArrayType: ViewCtor }).OffsetArrayType, data.valueOffsets, where, foreignType)
    if (length > 0 && (!valueOffsets || valueOffsets.length < entries)) short()
    return length === 0 ? 0 : Number(valueOffsets![length])
  }
  switch (type.typeId) {
    case Type.Bool:
      values = view(Uint8Array, data.values, where, foreignType)
      if ((values?.byteLength ?? 0) * 8 < end) short()
      break
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const last = offsets()
      values = view(Uint8Array, data.values, where, foreignType) ?? new Uint8Array(0)
      if (values.byteLength < last) short()
      break
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const last = offsets()
      children = [childOf(0, type.children[0]!)]
      if (children[0]!.length < last) short()
      break
    }
    case Type.FixedSizeList:
      children = [childOf(0, type.children[0]!)]
      if (children[0]!.length < length * (type as FixedSizeList).listSize) short()
      break
    case Type.Struct:
      children = type.children.map((f, i) => childOf(i, f))
      if (children.some((c) => c.length < length)) short()
      break
    case Type.Union:
      typeIds = view(Int8Array, data.typeIds, where, foreignType)
      if (!typeIds || typeIds.length < length) short()
      if ((type as Union).mode === UnionMode.Dense) offsets(length)
      children = type.children.map((f, i) => childOf(i, f))
      break
    default: {
      const width = byteWidth(type)
      if (width === 0) return fail(where, foreignType, 'has a type omega cannot read')
      const Ctor = (type.typeId === Type.Dictionary ? (type as Dictionary).indices.ArrayType : type.ArrayType) as ViewCtor
      values = view(Ctor, data.values, where, foreignType)
      if ((values?.byteLength ?? 0) < length * width) short()
      if (type.typeId === Type.Dictionary) dictionary = toDictionary(data.dictionary, (type as Dictionary).dictionary, where, foreignType)
      if (type.typeId === Type.BinaryView || type.typeId === Type.Utf8View) {
        variadic = (Array.isArray(data.variadicBuffers) ? data.variadicBuffers : []).map((b) => view(Uint8Array, b, where, foreignType) as Uint8Array)
      }
    }
  }
  return new Data(type, offset, length, nullCount, [valueOffsets, values, nullBitmap, typeIds] as never, children, dictionary, variadic)
}

/** A dictionary column's values (a Vector of one or more Data chunks) as omega's Vector. */
function toDictionary(vector: unknown, type: DataType, where: string, foreignType: Loose): Vector {
  const chunks = isObject(vector) && Array.isArray(vector.data) ? (vector.data as unknown[]) : undefined
  if (!chunks) return fail(where, foreignType, 'has no dictionary')
  const data = chunks.map((d) => toData(d, type, `${where} dictionary`))
  return new Vector(data.length > 0 ? data : [makeData({ type })])
}
