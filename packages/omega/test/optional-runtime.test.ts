import { DecisionTreeClassifier, Omega, OmegaError } from '@omega/omega'
import { describe, expect, it } from 'vitest'

describe('@omega/omega: the bullmq runtime as an optional plugin', () => {
  it('runtime: { type: "bullmq" } reaches @omega/bullmq when installed (an embedded store is refused at open)', async () => {
    const err = await Omega.open({ store: 'memory:', runtime: { type: 'bullmq', connection: { host: '127.0.0.1', port: 6379 } } }).catch((e: unknown) => e)
    expect(OmegaError.is(err) && err.code).toBe('E_UNSUPPORTED')
    expect((err as Error).message).toMatch(/store its workers share/)
  })

  it('pool and inline refuse a label instead of ignoring it', async () => {
    const om = await Omega.open({ store: 'memory:', runtime: 'pool', threads: 1 })
    await om.models.put(new DecisionTreeClassifier(), 'tree')
    const err = await om.runtime.require({ label: 'gpu' }).model('tree').fit([[1], [2]], [0, 1]).catch((e: unknown) => e)
    expect(OmegaError.is(err) && err.code).toBe('E_UNSUPPORTED')
    expect((err as Error).message).toMatch(/cannot route tasks by label \("gpu"\)/)
    await om.close()
  })
})
