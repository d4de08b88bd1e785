import { threadId } from 'node:worker_threads'
import { Omega, type Progress } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error a plain-JavaScript fixture plugin (workers import it without a compiler)
import { Stepper } from './fixtures/stepper-plugin.mjs'

const POOL_PLUGIN = new URL('../dist/index.js', import.meta.url).href
const STEPPER_PLUGIN = new URL('./fixtures/stepper-plugin.mjs', import.meta.url).href

type StepperClass = new (steps?: number, stepMs?: number, quiet?: boolean) => object

describe.each(['pool', 'inline'] as const)('%s: progress a handler reports reaches the caller', (runtime) => {
  let om: Omega
  beforeAll(async () => {
    om = await Omega.open({ plugins: [POOL_PLUGIN, STEPPER_PLUGIN], store: new LevelBackend(tempDir('omega-progress-')), runtime, threads: 2 })
  })
  afterAll(async () => {
    await om?.close()
  })
  const elsewhere = (p: Progress): boolean => (runtime === 'pool' ? !p.message!.endsWith(`thread ${threadId}`) : p.message!.endsWith(`thread ${threadId}`))

  it('fit: reports from the handler, coalesced, the last one always delivered, none after the call', async () => {
    await om.models.put(new (Stepper as StepperClass)(40, 5), 'slow')
    const seen: Progress[] = []
    const meta = await om.runtime.model('slow').fit([[1], [2]], [1, 2], { onProgress: (p) => seen.push(p) })
    expect(meta.version).toBe(2)
    const count = seen.length
    expect(seen.at(-1)).toEqual({ done: 40, total: 40, message: expect.stringMatching(/^fit on thread \d+$/) })
    expect(seen.every(elsewhere)).toBe(true)
    expect(seen.map((p) => p.done)).toEqual([...seen.map((p) => p.done)].sort((a, b) => a - b))
    // 40 steps of 5 ms: the pool forwards about one per 50 ms, inline every one.
    if (runtime === 'pool') expect(count).toBeLessThan(20)
    else expect(count).toBe(40)
    expect(count).toBeGreaterThan(1)
    await new Promise((r) => setTimeout(r, 100))
    expect(seen).toHaveLength(count)
  })

  it('predict reports too; a handler that reports nothing still gives one final report on fit', async () => {
    await om.models.put(new (Stepper as StepperClass)(3, 0), 'fast')
    const seen: Progress[] = []
    const y = await om.runtime.model('fast').predict([[1], [2]], { onProgress: (p) => seen.push(p) })
    expect(y.shape).toEqual([2])
    expect(seen.at(-1)).toMatchObject({ done: 3, total: 3 })
    expect(seen.every(elsewhere)).toBe(true)
    await om.models.put(new (Stepper as StepperClass)(3, 0, true), 'quiet')
    const quiet: Progress[] = []
    await om.runtime.model('quiet').fit([[1]], [1], { onProgress: (p) => quiet.push(p) })
    expect(quiet).toEqual([{ done: 1, total: 1 }])
  })

  it('a callback that throws rejects that call only, and the runtime keeps serving', async () => {
    await om.models.put(new (Stepper as StepperClass)(3, 0), 'throws')
    const boom = new Error('callback failed')
    await expect(om.runtime.model('throws').predict([[1]], { onProgress: () => { throw boom } })).rejects.toThrow(runtime === 'pool' ? 'callback failed' : /callback failed/)
    expect((await om.runtime.model('throws').predict([[1], [2], [3]])).shape).toEqual([3])
  })
})
