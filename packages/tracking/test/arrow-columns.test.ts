import { Table } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { float64Vector, gather, int32Vector, numbersOf, stringsOf, timestampVector, utf8Vector } from '../dist/arrow-columns.js'

describe('event column builders and readers', () => {
  const chunk = (k: number) =>
    new Table({
      s: utf8Vector([`a${k}`, null, 'ünïcode', 'x'.repeat(100)]),
      i: int32Vector([k, null, -k, 7]),
      f: float64Vector([NaN, 1.5, null, k]),
      t: timestampVector([Date.UTC(2026, 0, 1) + k, 0, 1, 2]),
    })
  const table = new Table([0, 1, 2].flatMap((k) => chunk(k).batches))

  it('read back exactly what was built, across chunks, nulls kept', () => {
    expect(stringsOf(table.getChild('s')!)).toEqual(['a0', null, 'ünïcode', 'x'.repeat(100), 'a1', null, 'ünïcode', 'x'.repeat(100), 'a2', null, 'ünïcode', 'x'.repeat(100)])
    expect(numbersOf(table.getChild('i')!)).toEqual([0, null, 0, 7, 1, null, -1, 7, 2, null, -2, 7])
    expect(numbersOf(table.getChild('t')!)[4]).toBe(Date.UTC(2026, 0, 1) + 1)
    expect(numbersOf(table.getChild('f')!)[0]).toBeNaN()
  })

  it('gather takes rows in any order from any chunk, as get(i) would', () => {
    const indices = [11, 0, 5, 5, 9, 2, 1, 6]
    for (const name of ['s', 'i', 'f', 't']) {
      const col = table.getChild(name)!
      const got = gather(col, indices)
      expect(String(got.type)).toBe(String(col.type))
      expect([...got].map(String)).toEqual(indices.map((i) => String(col.get(i))))
    }
  })
})
