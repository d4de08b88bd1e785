import { FsBackend, LogisticRegression, Omega, Tensor } from '@omega/omega'
import { rejectsWith, tempDir } from '@omega/conformance'
import { describe, expect, it } from 'vitest'

/** Replaces the stored JSON of `name@1` on an fs store consistently (blob, part entry, sha256). */
async function storeText(dir: string, name: string, text: string): Promise<void> {
  const raw = new FsBackend(dir)
  await raw.open()
  try {
    for await (const d of raw.meta.list(`default/models/${name}/@`)) {
      if (!(d.doc.parts as Record<string, unknown> | undefined)?.model) continue
      const ref = await raw.blobs.write(new TextEncoder().encode(text))
      await raw.meta.put(d.key, { ...d.doc, parts: { model: ref }, sha256: ref.sha256, size: ref.size } as never, { ifRevision: d.revision })
    }
  } finally {
    await raw.close()
  }
}

describe('a hostile stored model', () => {
  it('numberClasses: 1e9 in 90 stored bytes is E_MODEL_LOAD inline and through the pool; the process lives on', async () => {
    const dir = tempDir('omega-hostile-')
    const om = await Omega.open({ store: `fs:${dir}`, runtime: 'pool', threads: 1 })
    try {
      await om.models.put(new LogisticRegression({ numSteps: 10 }), 'evil')
      await storeText(dir, 'evil', '{"fitted":true,"model":{"name":"LogisticRegression","numberClasses":1e9,"classifiers":[]}}')
      const inline = await rejectsWith(om.models.get('evil@1'), 'E_MODEL_LOAD')
      expect(inline.message).toContain('"evil"')
      const pooled = await rejectsWith(om.runtime.model('evil@1').predict(new Tensor('float64', [1, 2], Float64Array.of(1, 0))), 'E_MODEL_LOAD')
      expect(pooled.message).toMatch(/numberClasses/)
      // The pool still serves: a sound model fits and predicts.
      await om.models.put(new LogisticRegression({ numSteps: 10 }), 'fine')
      const X = new Tensor('float64', [4, 2], Float64Array.of(0, 1, 1, 0, 1, 1, 0, 0))
      await om.runtime.model('fine').fit(X, new Tensor('float64', [4], Float64Array.of(0, 1, 1, 0)))
      expect(((await om.runtime.model('fine').predict(X)) as Tensor).shape).toEqual([4])
    } finally {
      await om.close()
    }
  }, 60_000)
})
