import { describe, expect, it } from 'vitest'
import { OmegaError, ERROR_CODES } from '@omega/core'

describe('OmegaError', () => {
  it('round-trips through JSON with code, details, transient and cause', () => {
    const inner = new TypeError('bad thing')
    const err = new OmegaError('E_WORKER', 'worker failed', { cause: inner, details: { op: 'fit' } })
    const back = OmegaError.fromJSON(JSON.parse(JSON.stringify(err.toJSON())))
    expect(OmegaError.is(back, 'E_WORKER')).toBe(true)
    expect(back.message).toBe('worker failed')
    expect(back.details).toEqual({ op: 'fit' })
    expect(back.transient).toBe(true)
    expect((back.cause as Error).name).toBe('TypeError')
    expect((back.cause as Error).message).toBe('bad thing')
  })

  it('survives structuredClone as data (what crosses a worker boundary)', () => {
    const err = new OmegaError('E_DATA_SHAPE', 'X has 3 columns, expected 4', { details: { expected: 4, got: 3 } })
    const cloned = structuredClone(err.toJSON())
    expect(OmegaError.fromJSON(cloned).code).toBe('E_DATA_SHAPE')
  })

  it('is named AbortError for E_ABORTED', () => {
    expect(new OmegaError('E_ABORTED', 'x').name).toBe('AbortError')
    expect(new OmegaError('E_NOT_FOUND', 'x').name).toBe('OmegaError')
  })

  it('brand check rejects look-alikes', () => {
    expect(OmegaError.is({ code: 'E_NOT_FOUND', message: 'x' })).toBe(false)
    expect(OmegaError.is(new Error('x'))).toBe(false)
    expect(ERROR_CODES).toHaveLength(13)
  })
})
