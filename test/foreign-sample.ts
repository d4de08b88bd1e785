/** A table of every column type omega stores (all but the views and large lists, which apache-arrow 18 lacks), built with the apache-arrow module `L`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sampleTable(L: any): any {
  const v = (values: unknown[], type: unknown): unknown => L.vectorFromArray(values, type)
  const day = 86_400_000
  const columns = {
    i8: v([1, null, -3, 4, 5], new L.Int8()),
    i16: v([1000, -2, null, 4, 5], new L.Int16()),
    i32: v([1, 2, 3, null, -5], new L.Int32()),
    i64: v([1n, null, -(2n ** 60n), 4n, 5n], new L.Int64()),
    u8: v([1, 2, 255, null, 0], new L.Uint8()),
    u16: v([1, 65535, null, 4, 5], new L.Uint16()),
    u32: v([null, 2 ** 32 - 1, 3, 4, 5], new L.Uint32()),
    u64: v([1n, 2n ** 63n, 3n, null, 5n], new L.Uint64()),
    f16: v([0.5, null, -2, 1.25, 3], new L.Float16()),
    f32: v([0.5, 1.5, null, -2.25, 3], new L.Float32()),
    f64: v([0.1, NaN, -Infinity, null, 1e300], new L.Float64()),
    utf8: v(['a', '', null, 'ünïcödé', 'e'], new L.Utf8()),
    large: v(['x', null, 'yy', 'zzz', ''], new L.LargeUtf8()),
    bool: v([true, false, null, true, false], new L.Bool()),
    dict: v(['red', 'blue', null, 'red', 'red'], new L.Dictionary(new L.Utf8(), new L.Int32())),
    ts_s: v([0, 1000, null, 2 * day, -1000], new L.TimestampSecond()),
    ts_ms: v([new Date(0), new Date(day), null, new Date(1_700_000_000_123), new Date(-1)], new L.TimestampMillisecond()),
    ts_us: v([0, 1.5, null, day, 7], new L.TimestampMicrosecond()),
    ts_ns: v([0, 2, null, day, 9], new L.TimestampNanosecond('UTC')),
    date_day: v([new Date(0), null, new Date(10 * day), new Date(20 * day), new Date(-day)], new L.DateDay()),
    date_ms: v([new Date(0), new Date(day), new Date(5), null, new Date(-day)], new L.DateMillisecond()),
    nothing: v([null, null, null, null, null], new L.Null()),
    list: v([[1, 2], [], null, [3], [4, 5, 6]], new L.List(new L.Field('item', new L.Int32(), true))),
    struct: v([{ a: 1, b: 'p' }, { a: null, b: 'q' }, null, { a: 4, b: null }, { a: 5, b: 's' }], new L.Struct([new L.Field('a', new L.Int32(), true), new L.Field('b', new L.Utf8(), true)])),
    binary: v([Uint8Array.of(1, 2), null, Uint8Array.of(), Uint8Array.of(255), Uint8Array.of(0)], new L.Binary()),
    fixed_binary: v([Uint8Array.of(1, 2), null, Uint8Array.of(3, 4), Uint8Array.of(5, 6), Uint8Array.of(7, 8)], new L.FixedSizeBinary(2)),
    fixed_list: v([[1, 2], null, [3, 4], [5, NaN], [7, 8]], new L.FixedSizeList(2, new L.Field('x', new L.Float64(), true))),
    map: v([new Map([['a', 1]]), null, new Map([['b', 2], ['c', 3]]), new Map(), new Map([['d', null]])], new L.Map_(new L.Field('entries', new L.Struct([new L.Field('key', new L.Utf8(), false), new L.Field('value', new L.Int32(), true)]), false))),
    time_ms: v([1000, null, 2000, 0, 86_399_999], new L.TimeMillisecond()),
    time_us: v([1000n, null, 2000n, 0n, 5n], new L.TimeMicrosecond()),
    duration: v([1n, null, 3n, -4n, 5n], new L.DurationMillisecond()),
    year_month: v([Int32Array.of(14), null, Int32Array.of(2), Int32Array.of(0), Int32Array.of(-1)], new L.IntervalYearMonth()),
    day_time: v([Int32Array.of(1, 2), null, Int32Array.of(3, 4), Int32Array.of(0, 0), Int32Array.of(-1, 5)], new L.IntervalDayTime()),
    decimal: L.makeVector(L.makeData({ type: new L.Decimal(2, 10, 128), length: 5, data: Uint32Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? i + 1 : 0)) })),
    union: L.makeVector(L.makeData({
      type: new L.SparseUnion([0, 1], [new L.Field('i', new L.Int32(), true), new L.Field('s', new L.Utf8(), true)]),
      length: 5,
      typeIds: Int8Array.of(0, 1, 0, 1, 1),
      children: [L.makeData({ type: new L.Int32(), data: Int32Array.of(7, 0, 9, 0, 0) }), L.makeData({ type: new L.Utf8(), data: new TextEncoder().encode('xyzw'), valueOffsets: Int32Array.of(0, 0, 3, 3, 4, 4) })],
    })),
  }
  const table = new L.Table(columns)
  // Two record batches, the second a slice (its columns start at an offset into their buffers).
  return new L.Table([...table.slice(0, 2).batches, ...table.slice(1).batches])
}

/** Rows as plain values (bigints as strings, nested rows and lists as JSON) to compare across copies. */
export function plainRows(table: { toArray(): unknown[] }): unknown[] {
  return table.toArray().map(plain)
}

function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN'
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, plain)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') return plain((value as { toJSON(): unknown }).toJSON())
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}
