import { Omega, OmegaError, type Tensor } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error a plain-JavaScript fixture plugin (workers import it without a compiler)
import { Doubler } from './fixtures/test-handlers-plugin.mjs'

const POOL_PLUGIN = new URL('../dist/index.js', import.meta.url).href
const HANDLERS_PLUGIN = new URL('./fixtures/test-handlers-plugin.mjs', import.meta.url).href

type DoublerClass = new (mode?: string, delayMs?: number) => object
const doubler = (mode = 'rows', delayMs = 0): object => new (Doubler as DoublerClass)(mode, delayMs)
/** Each row's [2·x0, rows of the task it ran in]. */
const rowsOf = (t: Tensor): number[][] => t.toArray() as number[][]

describe('pool: dynamic batching of concurrent predicts', () => {
  let om: Omega
  beforeAll(async () => {
    om = await Omega.open({ plugins: [POOL_PLUGIN, HANDLERS_PLUGIN], store: new LevelBackend(tempDir('omega-batching-')), runtime: 'pool', threads: 2 })
    await om.models.put(doubler(), 'd')
    await om.models.put(doubler('rows', 150), 'slow')
    await om.models.put(doubler('sum'), 'sum')
    await om.models.put(doubler(), 'off', { attributes: { batching: false } })
    // Every worker has every model cached, so what follows measures batching alone.
    for (const name of ['d', 'slow', 'sum', 'off']) await Promise.all([1, 2, 3, 4].map(() => om.runtime.model(name).predict([[1]], { batching: false })))
  })
  afterAll(async () => {
    await om?.close()
  })

  it('concurrent calls are merged into tasks of up to maxBatch rows, each caller gets its own rows back', async () => {
    const calls = Array.from({ length: 40 }, (_, i) => om.runtime.model('d').predict<Tensor>(i % 2 ? [[i]] : [[i], [i + 0.5]]))
    const results = (await Promise.all(calls)).map(rowsOf)
    results.forEach((rows, i) => {
      expect(rows.map((r) => r[0])).toEqual(i % 2 ? [2 * i] : [2 * i, 2 * i + 1])
    })
    const taskRows = results.flat().map((r) => r[1]!)
    expect(Math.max(...taskRows)).toBeGreaterThan(2)
    const limited = await Promise.all(Array.from({ length: 20 }, (_, i) => om.runtime.model('d').predict<Tensor>([[i]], { batching: { maxBatch: 4 } })))
    expect(Math.max(...limited.map(rowsOf).flat().map((r) => r[1]!))).toBe(4)
  })

  it('off per call, per model (attributes.batching: false) and for handlers that do not declare rows independent', async () => {
    const perCall = await Promise.all(Array.from({ length: 10 }, (_, i) => om.runtime.model('d').predict<Tensor>([[i]], { batching: false })))
    expect(perCall.map(rowsOf).map((r) => r[0]![1])).toEqual(Array(10).fill(1))
    const perModel = await Promise.all(Array.from({ length: 10 }, (_, i) => om.runtime.model('off').predict<Tensor>([[i]])))
    expect(perModel.map(rowsOf).map((r) => r[0]![1])).toEqual(Array(10).fill(1))
    const notDeclared = await Promise.all(Array.from({ length: 10 }, (_, i) => om.runtime.model('sum').predict<Tensor>([[i]])))
    expect(notDeclared.map(rowsOf).map((r) => r[0])).toEqual(Array.from({ length: 10 }, (_, i) => [2 * i, 1]))
    await expect(om.runtime.model('d').predict([[1]], { batching: { maxBatch: 0 } })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
  })

  it('a model opted in whose output is not one row per input row is split never: each caller is answered alone', async () => {
    const forced = await Promise.all(Array.from({ length: 6 }, (_, i) => om.runtime.model('sum').predict<Tensor>([[i]], { batching: { maxBatch: 64 } })))
    expect(forced.map(rowsOf).map((r) => r[0])).toEqual(Array.from({ length: 6 }, (_, i) => [2 * i, 1]))
  })

  it("one caller's bad rows fail that caller only", async () => {
    const calls = Array.from({ length: 8 }, (_, i) => om.runtime.model('d').predict<Tensor>([[i === 5 ? -1 : i]]))
    const settled = await Promise.allSettled(calls)
    settled.forEach((s, i) => {
      if (i === 5) {
        expect(s.status).toBe('rejected')
        const err = (s as PromiseRejectedResult).reason as OmegaError
        expect(OmegaError.is(err, 'E_WORKER')).toBe(true)
        expect(err.message).toContain('negative value -1 in row 0')
      } else {
        expect(rowsOf((s as PromiseFulfilledResult<Tensor>).value)[0]![0]).toBe(2 * i)
      }
    })
    // A caller whose rows have another width is never stacked with the others.
    const mixed = await Promise.allSettled([om.runtime.model('d').predict<Tensor>([[1]]), om.runtime.model('d').predict<Tensor>([[2, 3]]), om.runtime.model('d').predict<Tensor>([[4]])])
    expect(mixed.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled'])
    expect(rowsOf((mixed[1] as PromiseFulfilledResult<Tensor>).value)[0]).toEqual([4, 1])
  })

  it('aborting one of N batched callers (queued or running) rejects that caller only', async () => {
    // Two workers busy for 150 ms each, so the next calls wait in the batcher and run as one batch.
    const busy = [om.runtime.model('slow').predict<Tensor>([[100]], { batching: false }), om.runtime.model('slow').predict<Tensor>([[101]], { batching: false })]
    const controllers = Array.from({ length: 6 }, () => new AbortController())
    const t0 = Date.now()
    const calls = controllers.map((c, i) => om.runtime.model('slow').predict<Tensor>([[i]], { signal: c.signal }))
    setTimeout(() => controllers[2]!.abort(), 20)
    setTimeout(() => controllers[4]!.abort(), 220)
    const settled = await Promise.allSettled(calls)
    expect(settled[2]!.status).toBe('rejected')
    expect(OmegaError.is((settled[2] as PromiseRejectedResult).reason, 'E_ABORTED')).toBe(true)
    settled.forEach((s, i) => {
      if (i === 2 || i === 4) return
      expect(s.status).toBe('fulfilled')
      expect(rowsOf((s as PromiseFulfilledResult<Tensor>).value)[0]![0]).toBe(2 * i)
    })
    const fulfilled = settled.filter((s): s is PromiseFulfilledResult<Tensor> => s.status === 'fulfilled')
    expect(Math.max(...fulfilled.map((s) => rowsOf(s.value)[0]![1]!))).toBeGreaterThan(1)
    // The caller aborted while its batch ran was rejected at once or had been answered already.
    if (settled[4]!.status === 'rejected') expect(OmegaError.is((settled[4] as PromiseRejectedResult).reason, 'E_ABORTED')).toBe(true)
    expect(Date.now() - t0).toBeLessThan(5000)
    await Promise.all(busy)
    const timedOut = await Promise.allSettled([om.runtime.model('slow').predict<Tensor>([[7]], { timeoutMs: 1 }), om.runtime.model('slow').predict<Tensor>([[8]])])
    expect(timedOut.map((s) => s.status)).toEqual(['rejected', 'fulfilled'])
    expect(OmegaError.is((timedOut[0] as PromiseRejectedResult).reason, 'E_TIMEOUT')).toBe(true)
  })
})
