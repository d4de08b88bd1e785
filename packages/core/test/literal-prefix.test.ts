import { describe, expect, it } from 'vitest'
import { literalPrefix } from '@omega/core'

describe('literalPrefix: the key range a list() pattern can match', () => {
  it.each([
    ['runs/2024-*', 'runs/2024-'],
    ['victims/*', 'victims/'],
    ['exact/name', 'exact/name'],
    ['**/x', ''],
    ['a?c', 'a'],
    ['team/{a,b}', 'team/'],
    ['!(x)*', ''],
    ['!neg', ''],
    ['x+(y)', 'x'],
  ])('%s → %s', (pattern, prefix) => {
    expect(literalPrefix(pattern)).toBe(prefix)
  })
  it('a regular expression or no pattern reads everything', () => {
    expect(literalPrefix('^runs', { regexp: true })).toBe('')
    expect(literalPrefix(undefined)).toBe('')
  })
})
