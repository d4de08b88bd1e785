import { describe, expect, it } from 'vitest'
import { OmegaError, parseName, validateBucket, validateName, nameMatcher, isValidTag } from '@omega/core'

const invalid = (fn: () => unknown): void => {
  try {
    fn()
  } catch (err) {
    expect(OmegaError.is(err, 'E_INVALID_NAME')).toBe(true)
    return
  }
  throw new Error('expected E_INVALID_NAME')
}

const catchError = (fn: () => unknown): OmegaError => {
  try {
    fn()
  } catch (err) {
    if (OmegaError.is(err, 'E_INVALID_NAME')) return err
    throw err
  }
  throw new Error('expected E_INVALID_NAME')
}

describe('parseName', () => {
  it('parses plain and segmented names', () => {
    expect(parseName('iris')).toEqual({ raw: 'iris', name: 'iris', back: 0 })
    expect(parseName('team/iris-v1.2').name).toBe('team/iris-v1.2')
    expect(parseName('a b').name).toBe('a b')
    expect(parseName('_temp').name).toBe('_temp')
    expect(parseName('.hidden/x').name).toBe('.hidden/x')
  })

  it('parses versions, latest and tags', () => {
    expect(parseName('m@3').ref).toEqual({ type: 'version', version: 3 })
    expect(parseName('m@latest').ref).toEqual({ type: 'latest' })
    expect(parseName('m@production').ref).toEqual({ type: 'tag', tag: 'production' })
    expect(parseName('m@v2-rc.1').ref).toEqual({ type: 'tag', tag: 'v2-rc.1' })
  })

  it('parses ^ and ^^, alone and after a ref', () => {
    expect(parseName('m^').back).toBe(1)
    expect(parseName('m^^').back).toBe(2)
    const p = parseName('m@production^^')
    expect(p.ref).toEqual({ type: 'tag', tag: 'production' })
    expect(p.back).toBe(2)
  })

  it('parses column selectors with ranges and exclusion', () => {
    expect(parseName('d[a,b]').columns).toEqual({ exclude: false, items: [{ type: 'column', name: 'a' }, { type: 'column', name: 'b' }] })
    expect(parseName('d[a:c]').columns?.items).toEqual([{ type: 'range', from: 'a', to: 'c' }])
    expect(parseName('d[:b]').columns?.items).toEqual([{ type: 'range', to: 'b' }])
    expect(parseName('d[b:]').columns?.items).toEqual([{ type: 'range', from: 'b' }])
    expect(parseName('d[^y]').columns).toEqual({ exclude: true, items: [{ type: 'column', name: 'y' }] })
    expect(parseName('d[^y, z]').columns).toEqual({ exclude: true, items: [{ type: 'column', name: 'y' }, { type: 'column', name: 'z' }] })
  })

  it('parses #op:k=v and combinations', () => {
    expect(parseName('big#iterchunks:chunksize=5000').operation).toEqual({ op: 'iterchunks', args: { chunksize: '5000' } })
    expect(parseName('big#rows:start=10,end=20').operation).toEqual({ op: 'rows', args: { start: '10', end: '20' } })
    expect(parseName('big#rows').operation).toEqual({ op: 'rows', args: {} })
    const p = parseName('d[^y]#iterchunks:chunksize=10')
    expect(p.columns?.exclude).toBe(true)
    expect(p.operation?.op).toBe('iterchunks')
  })

  it.each([
    '', '../x', 'a/../b', 'a//b', 'a/./b', '/a', 'a/', 'a\u0000b', 'a\nb', 'a\\b', 'x'.repeat(513),
    'm@', 'm@0', 'm@-1', 'm@a b', 'm@3@4', 'd[', 'd[]', 'd[^]', 'd[a,,b]', 'd[:]', 'd[a:b:c]', 'd#', 'd#1op',
    'd#op:k', 'd#op:k=', 'd#op:k=1,k=2', 'm^x', 'd[a]x', 'a*b', 'm@tag#op:x=1]',
  ])('rejects %j', (name) => {
    invalid(() => parseName(name))
  })

  it('accepts a 512-character name and rejects 513', () => {
    expect(validateName('x'.repeat(512))).toHaveLength(512)
    invalid(() => validateName('x'.repeat(513)))
  })

  it('refuses names that are not well-formed Unicode (lone surrogates), in names, suffixed names and buckets', () => {
    for (const name of ['user\uD800', 'user\uDC00', '\uDC00\uD800', 'a/\uDBFF/b', 'x\uD83D', '\uDE00x']) {
      const err = catchError(() => validateName(name))
      expect(err.message).toMatch(/well-formed Unicode/)
      invalid(() => parseName(`${name}@3`))
      invalid(() => validateBucket(name))
    }
    expect(validateName('user\uD83D\uDE00')).toBe('user😀')
    expect(validateName('日本/é/😀')).toBe('日本/é/😀')
  })

  it('refuses C0 controls, DEL and C1 controls (U+0080–U+009F), accepts what follows them', () => {
    for (const c of ['\u0000', '\u001F', '\u007F', '\u0080', '\u0085', '\u009B', '\u009F']) {
      expect(catchError(() => validateName(`a${c}b`)).message).toMatch(/control characters/)
    }
    expect(validateName('a\u00A0b')).toBe('a\u00A0b')
    expect(validateName('a\u00FFb')).toBe('a\u00FFb')
  })

  it('operation arguments named like Object.prototype members are plain arguments', () => {
    expect(parseName('d#op:constructor=1,toString=2').operation).toEqual({ op: 'op', args: { constructor: '1', toString: '2' } })
    invalid(() => parseName('d#op:constructor=1,constructor=2'))
  })

  it('rejects non-strings', () => {
    invalid(() => parseName(42))
    invalid(() => validateName(undefined))
  })
})

describe('tags', () => {
  it('refuses all-digit tags and latest', () => {
    expect(isValidTag('production')).toBe(true)
    expect(isValidTag('v1')).toBe(true)
    expect(isValidTag('123')).toBe(false)
    expect(isValidTag('latest')).toBe(false)
    expect(isValidTag('a b')).toBe(false)
  })
})

describe('nameMatcher', () => {
  it('hides temp and hidden names unless asked', () => {
    const names = ['a', '_tmp', '.secret', 'dir/_x', 'dir/y']
    expect(names.filter(nameMatcher(undefined))).toEqual(['a', 'dir/y'])
    expect(names.filter(nameMatcher(undefined, { includeTemp: true }))).toEqual(['a', '_tmp', 'dir/_x', 'dir/y'])
    expect(names.filter(nameMatcher(undefined, { hidden: true }))).toEqual(['a', '.secret', 'dir/y'])
  })

  it('matches globs within a segment and ** across', () => {
    const names = ['iris', 'iris-rf', 'wine', 'team/iris']
    expect(names.filter(nameMatcher('iris*'))).toEqual(['iris', 'iris-rf'])
    expect(names.filter(nameMatcher('**/iris'))).toEqual(['iris', 'team/iris'])
    expect(names.filter(nameMatcher('^w', { regexp: true }))).toEqual(['wine'])
  })

  it('reports a bad regexp as E_INVALID_ARGUMENT', () => {
    expect(() => nameMatcher('(', { regexp: true })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error)
  })
})
