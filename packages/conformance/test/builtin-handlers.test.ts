import { tableFromArrays, type Table } from 'apache-arrow'
import { ArrowTableHandler, FileHandler, JsonHandler, NdarrayHandler, Tensor } from '@omega/core'
import { handlerSuite } from '@omega/conformance'

const rows = (t: unknown): unknown => (t as Table).toArray().map((r) => (r as { toJSON(): unknown }).toJSON())

handlerSuite('core', new ArrowTableHandler(), {
  plugins: [],
  foreign: [{}, 'x', new Uint8Array(2), [1, 2], new Tensor('float64', [1], Float64Array.of(1))],
  fixtures: [
    { name: 'table', value: () => tableFromArrays({ a: Int32Array.of(1, 2), b: Float64Array.of(0.5, NaN) }), probe: rows },
    { name: 'records', value: () => [{ a: 1, s: 'x' }, { a: 2, s: null }], probe: (v) => (Array.isArray(v) ? v : rows(v)) },
  ],
})

handlerSuite('core', new NdarrayHandler(), {
  plugins: [],
  foreign: [{}, 'x', [1, 2], new Uint8Array(2)],
  fixtures: [{ name: 'int64 tensor', value: () => new Tensor('int64', [2, 2], BigInt64Array.of(1n, -2n, 3n, 2n ** 60n)), probe: (t) => (t as Tensor).toArray() }],
})

handlerSuite('core', new FileHandler(), {
  plugins: [],
  foreign: [{}, 'x', [1], { path: 1 }],
  fixtures: [{ name: 'bytes', value: () => Uint8Array.from({ length: 1000 }, (_, i) => i % 256), probe: (b) => Array.from(b as Uint8Array) }],
})

handlerSuite('core', new JsonHandler(), {
  plugins: [],
  foreign: [undefined, () => 1, new Map(), Symbol('s'), NaN],
  fixtures: [{ name: 'object', value: () => ({ a: [1, 'two', null], b: { c: true } }), probe: (v) => v }],
})
