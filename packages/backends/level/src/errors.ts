import { OmegaError, errors } from '@omega/core'

/** The one place classic-level errors become omega codes (the original is kept as `cause`). */
export function mapLevelError(err: unknown, location: string, op: string): OmegaError {
  if (OmegaError.is(err)) return err
  const e = err as { code?: string; cause?: { code?: string } }
  if (e?.code === 'LEVEL_LOCKED' || e?.cause?.code === 'LEVEL_LOCKED') return errors.locked(location, err)
  return errors.backend(location, op, err)
}
