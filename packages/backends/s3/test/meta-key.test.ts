import { describe, expect, it } from 'vitest'
import { decodeMetaKey, encodeMetaKey, metaListPrefix } from '../src/meta-key.js'

const SAMPLES = [
  'default/data/x',
  '#format',
  'default/models/a b%2F~!$&()+,;=:é漢字/@0000000001',
  `default/data/${'n'.repeat(511)}x/@0000000001`,
  `default/data/${'漢'.repeat(300)}/#tags`,
  `default/data/${Array.from({ length: 200 }, (_, i) => `é${i % 10}`).join('/')}/@0000000002`,
  'default/data/..../a.b/@0000000001',
]

describe('metadata object keys', () => {
  it('are ASCII, at most 700 bytes, free of ".", and decode back unless hashed', () => {
    for (const key of SAMPLES) {
      const encoded = encodeMetaKey(key)
      expect(encoded).toMatch(/^[A-Za-z0-9_@%~/-]+$/)
      expect(encoded.length).toBeLessThanOrEqual(700)
      const decoded = decodeMetaKey(encoded)
      if (encoded.includes('~')) expect(decoded).toBeUndefined()
      else expect(decoded).toBe(key)
    }
  })

  it('every key starting with a prefix has an object key starting with its listing prefix', () => {
    for (const key of SAMPLES) {
      const encoded = encodeMetaKey(key)
      for (let n = 0; n <= key.length; n += Math.max(1, Math.floor(key.length / 97))) {
        const prefix = key.slice(0, n)
        if (/[\uD800-\uDBFF]$/.test(prefix)) continue
        expect(encoded.startsWith(metaListPrefix(prefix)), `${key} / ${prefix}`).toBe(true)
      }
    }
  })

  it('different keys never share an object key', () => {
    const keys = [...SAMPLES, ...SAMPLES.map((k) => `${k}x`), 'a/b', 'a%2Fb', 'a.b', 'a%2Eb']
    expect(new Set(keys.map(encodeMetaKey)).size).toBe(new Set(keys).size)
  })
})
