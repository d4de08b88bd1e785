import { ERROR_CODES } from '@omega/core'
import { statusOf } from '@omega/server'
import { describe, expect, it } from 'vitest'

describe('OmegaError code → HTTP status (SPEC §10)', () => {
  it('maps every code', () => {
    const table = Object.fromEntries(ERROR_CODES.map((c) => [c, statusOf(c)]))
    expect(table).toEqual({
      E_NOT_FOUND: 404,
      E_INVALID_NAME: 400,
      E_INVALID_ARGUMENT: 400,
      E_UNSUPPORTED: 500,
      E_MODEL_LOAD: 500,
      E_DATA_SHAPE: 400,
      E_INTEGRITY: 500,
      E_LOCKED: 500,
      E_CONFLICT: 409,
      E_TIMEOUT: 504,
      E_ABORTED: 500,
      E_WORKER: 500,
      E_BACKEND: 500,
    })
  })
})
