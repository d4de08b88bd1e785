import { collectBytes, Omega, sha256Hex } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith, type BackendSuiteOptions } from '../context.js'
import { withBackend } from './with-backend.js'

/** open/close, permanence, locking, and integrity checks on read. */
export function lifecycleTests(options: BackendSuiteOptions): void {
  describe('lifecycle', () => {
    it('open and close are idempotent; a closed store refuses calls', async () => {
      const raw = await options.factory()
      const om = await Omega.open({ store: raw })
      await om.close()
      await om.close()
      await rejectsWith(om.datasets.put({ a: 1 }, 'x'), 'E_BACKEND')
    })

    it('reopening the same location keeps the data (if permanent)', async (ctx) => {
      const first = await options.factory()
      if (!first.supports.permanence) return ctx.skip()
      const om = await Omega.open({ store: first })
      await om.datasets.put({ kept: true }, 'persisted')
      await om.close()
      const again = await Omega.open({ store: await options.factory(first.location) })
      try {
        expect(await again.datasets.get('persisted')).toEqual({ kept: true })
      } finally {
        await again.close()
      }
    })

    it('a second opener of a single-process store gets E_LOCKED naming the location', async (ctx) => {
      const first = await options.factory()
      if (first.supports.multiProcess || !first.supports.permanence) return ctx.skip()
      const om = await Omega.open({ store: first })
      try {
        const err = await rejectsWith(Omega.open({ store: await options.factory(first.location) }), 'E_LOCKED')
        expect(err.message).toContain(first.location)
        expect(err.message).toMatch(/close it|OMEGA_HOME/)
      } finally {
        await om.close()
      }
    })
  })

  describe('integrity', () => {
    it('a flipped byte in a stored blob is E_INTEGRITY on read, for the blob and the object', async (ctx) => {
      if (!options.tamper) return ctx.skip()
      const tamper = options.tamper
      await withBackend(options, async (b) => {
        const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i % 251)
        const ref = await b.blobs.write(bytes)
        await tamper((b as unknown as { inner: typeof b }).inner, ref.sha256)
        await rejectsWith(collectBytes(b.blobs.read(ref.sha256)), 'E_INTEGRITY')
      })
      const raw = await options.factory()
      const om = await Omega.open({ store: raw })
      try {
        const meta = await om.datasets.put(Uint8Array.from({ length: 300 }, (_, i) => i), 'bytes')
        expect(meta.sha256).toBe(sha256Hex(Uint8Array.from({ length: 300 }, (_, i) => i)))
        await tamper(raw, meta.sha256)
        await rejectsWith(om.datasets.get('bytes'), 'E_INTEGRITY')
      } finally {
        await om.close()
      }
    })
  })
}
