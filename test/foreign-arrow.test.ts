import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import * as arrow from 'apache-arrow'
import * as arrow18 from 'apache-arrow-18'
import { Omega, OmegaError, Tensor, ownTable, toModelInput, type Metadata } from '@omega/core'
import { GdLinear, TEST_PLUGIN_URL, rejectsWith, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { plainRows, sampleTable } from './foreign-sample.js'

// Tables built by other copies of apache-arrow than omega's (the ES module build of 21.2.0): its
// CommonJS build (another module instance, as in a CommonJS app) and another major version
// (installed under the npm alias apache-arrow-18), as an ES module and as CommonJS.
const require = createRequire(import.meta.url)
const COPIES: [string, typeof arrow][] = [
  ['apache-arrow 21 CommonJS', require('apache-arrow') as typeof arrow],
  ['apache-arrow 18 ESM', arrow18 as unknown as typeof arrow],
  ['apache-arrow 18 CommonJS', require('apache-arrow-18') as typeof arrow],
]

const json = (t: { toArray(): unknown[] }): string => JSON.stringify(plainRows(t))
const types = (t: arrow.Table): string[] => t.schema.fields.map((f) => `${f.name}: ${String(f.type)}${f.nullable ? '?' : ''}`)

describe('Arrow tables from another copy of apache-arrow', () => {
  const dir = tempDir('omega-foreign-arrow-')
  let om: Omega
  const want = sampleTable(arrow) as arrow.Table
  beforeAll(async () => {
    om = await Omega.open({ store: new LevelBackend(dir), plugins: [TEST_PLUGIN_URL], runtime: 'inline' })
    await om.models.put(new GdLinear(), 'unfitted')
  })
  afterAll(async () => {
    await om?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each(COPIES)('%s: put and get keep every column type, value and null', async (_, L) => {
    expect(L.Table).not.toBe(arrow.Table)
    const table = sampleTable(L)
    expect(Function.prototype[Symbol.hasInstance].call(arrow.Table, table)).toBe(false)
    expect(json(table)).toBe(json(want))
    const meta = await om.datasets.put(table, 'foreign')
    expect(meta.kind).toBe('arrow.table')
    expect(meta.kindMeta.rows).toBe(want.numRows)
    const got = (await om.datasets.get('foreign')) as arrow.Table
    expect(got).toBeInstanceOf(arrow.Table)
    expect(types(got)).toEqual(types(want))
    expect(json(got)).toBe(json(want))
    expect(json((await om.datasets.get('foreign[dict,ts_ms]')) as arrow.Table)).toBe(json(want.select(['dict', 'ts_ms'])))
  })

  it.each(COPIES)('%s: a RecordBatch, and appending a Table to it', async (_, L) => {
    const table = sampleTable(L)
    await om.datasets.put(table.batches[1], 'batches')
    await om.datasets.put(table, 'batches', { append: true })
    const got = (await om.datasets.get('batches')) as arrow.Table
    expect(got.numRows).toBe(want.batches[1]!.numRows + want.numRows)
    expect(json(got)).toBe(json(new arrow.Table([want.batches[1]!, ...want.batches])))
    const err = await rejectsWith(om.datasets.put(L.tableFromArrays({ other: Int32Array.of(1) }), 'batches', { append: true }), 'E_DATA_SHAPE')
    expect(err.message).toMatch(/columns differ/)
  })

  it.each(COPIES)('%s: empty tables keep their schema', async (_, L) => {
    const empties = [new L.Table(sampleTable(L).schema), new L.Table({ a: L.vectorFromArray([], new L.Int32()), b: L.vectorFromArray([], new L.Utf8()) })]
    for (const empty of empties) {
      await om.datasets.put(empty, 'empty')
      const got = (await om.datasets.get('empty')) as arrow.Table
      expect(got.numRows).toBe(0)
      expect(types(got)).toEqual(types(empty as unknown as arrow.Table))
    }
  })

  it.each(COPIES)('%s: the columns are re-wrapped over the same buffers (no copy)', (_, L) => {
    const table = sampleTable(L)
    const own = ownTable(table)
    expect(own).toBeInstanceOf(arrow.Table)
    expect(own.schema).toBeInstanceOf(arrow.Schema)
    for (const name of ['f64', 'utf8', 'ts_ns', 'i64']) {
      own.getChild(name)!.data.forEach((d, i) => {
        const theirs = table.getChild(name)!.data[i]!
        expect(d.values.buffer, name).toBe(theirs.values.buffer)
        expect(d.values.byteOffset, name).toBe(theirs.values.byteOffset)
      })
    }
    expect(ownTable(want)).toBe(want)
    if (table.schema instanceof arrow.Schema) {
      // apache-arrow 21's cross-copy instanceof lets omega's Table hold the other copy's schema.
      const mixed = new arrow.Table(table.schema as unknown as arrow.Schema)
      expect(ownTable(mixed)).not.toBe(mixed)
      expect(Function.prototype[Symbol.hasInstance].call(arrow.Schema, ownTable(mixed).schema)).toBe(true)
    }
  })

  it.each(COPIES)('%s: fit and predict take its tables', async (_, L) => {
    const x0 = Float64Array.from({ length: 60 }, (_, i) => (i % 7) / 2)
    const x1 = Float64Array.from({ length: 60 }, (_, i) => (i % 3) / 2)
    const X = L.tableFromArrays({ x0, x1 })
    const y = L.tableFromArrays({ y: x0.map((v, i) => 2 * v - x1[i]! + 1) })
    await om.models.put(new GdLinear({ epochs: 300 }), 'gd')
    const meta = (await om.runtime.model('gd').fit(X, y)) as Metadata
    expect(meta.attributes.features).toEqual({ count: 2, names: ['x0', 'x1'], types: ['Float64', 'Float64'] })
    const fitted = (await om.models.get('gd')) as GdLinear
    const expected = fitted.predict([[1, 1], [2, 0]])
    for (const input of [L.tableFromArrays({ x0: Float64Array.of(1, 2), x1: Float64Array.of(1, 0) }), L.tableFromArrays({ x0: Float64Array.of(1, 2), x1: Float64Array.of(1, 0) }).batches[0]]) {
      const got = (await om.runtime.model('gd').predict(input as never)) as Tensor
      expect(got.toArray()).toEqual(expected)
    }
  })

  describe('bad input: what cannot be read is an OmegaError naming the column, never a raw error', () => {
    const L = COPIES[0]![1]
    const cases: [string, () => unknown, RegExp][] = [
      ['a column whose buffer is too short', () => {
        const t = sampleTable(L)
        t.batches[0].data.children[2].values = new Int32Array(1)
        return t
      }, /column "i32" \(Int32, type id 2 = Int\) has buffers too short/],
      ['a column of an unknown type', () => {
        class Table {
          schema = { fields: [{ name: 'x', type: { typeId: 99, toString: () => 'Weird' } }] }
          batches = []
        }
        return new Table()
      }, /column "x" \(Weird, type id 99\) has a type omega cannot read/],
      ['a batch that is not a record batch', () => {
        const t = sampleTable(L)
        return Object.assign(Object.create(Object.getPrototypeOf(t) as object) as object, { schema: t.schema, batches: [42] })
      }, /record batch 0 has no column data/],
      ['a dictionary column without its dictionary', () => {
        const t = sampleTable(L)
        t.batches[0].data.children[14].dictionary = undefined
        return t
      }, /column "dict" \(Dictionary<Int32, Utf8>.*\) has no dictionary/],
      ['a getter that throws', () => {
        const t = sampleTable(L)
        Object.defineProperty(t.batches[1].data.children[0], 'values', { get: () => { throw new TypeError('boom') } })
        return t
      }, /cannot be read: boom/],
    ]
    it.each(cases)('%s', async (_, make, message) => {
      for (const attempt of [() => om.datasets.put(make(), 'bad'), () => om.runtime.model('unfitted').predict(make() as never)]) {
        const err = await rejectsWith(attempt(), 'E_INVALID_ARGUMENT')
        expect(err.message).toMatch(message)
        expect(JSON.stringify(err.details)).not.toMatch(/undefined/)
        expect(err).toBeInstanceOf(OmegaError)
      }
      expect(() => toModelInput(make(), 'X')).toThrow(OmegaError)
      expect(await om.datasets.exists('bad')).toBe(false)
    })
  })
})
