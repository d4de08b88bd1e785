// The runtime's call hook: what observers are told, and that they can neither slow down nor fail a call.
import { describe, expect, it } from 'vitest'
import { Omega, type CallObserver, type ObservedCall, type TaskResult } from '../dist/index.js'

/** y = a·x through the origin, least squares. */
class Slope {
  a: number | null
  constructor(params: { a?: number | null } = {}) {
    this.a = params.a ?? null
  }
  fit(X: number[][], y: number[]): this {
    this.a = X.reduce((s, r, i) => s + r[0]! * y[i]!, 0) / X.reduce((s, r) => s + r[0]! ** 2, 0)
    return this
  }
  predict(X: number[][]): number[] {
    return X.map((r) => r[0]! * this.a!)
  }
  toJSON(): { a: number | null } {
    return { a: this.a }
  }
  static load(json: { a: number | null }): Slope {
    return new Slope(json)
  }
}

async function open(): Promise<Omega> {
  const om = await Omega.open({ store: 'memory:', runtime: 'inline' })
  om.registerEstimator('Slope', Slope)
  await om.datasets.put([{ x: 1, y: 2 }, { x: 2, y: 4 }, { x: 3, y: 6 }], 'd')
  await om.models.put(new Slope(), 'lin')
  return om
}

describe('runtime call observers', () => {
  it('tell observers each call with its model, X (name and version when by name) and how it ended', async () => {
    const om = await open()
    const seen: { call: ObservedCall; ok?: TaskResult; error?: unknown; ms: number }[] = []
    const observer: CallObserver = {
      onCall: (call) => {
        const entry: (typeof seen)[number] = { call, ms: -1 }
        seen.push(entry)
        return {
          success: (result, ms) => Object.assign(entry, { ok: result, ms }),
          failure: (error, ms) => Object.assign(entry, { error, ms }),
        }
      },
    }
    const remove = om.runtime.observe(observer)
    try {
      await om.runtime.model('lin').fit('d[x]', 'd[y]')
      await om.runtime.model('lin').predict([[4]])
      await expect(om.runtime.model('lin').predict([[4, 5]])).rejects.toMatchObject({ code: 'E_DATA_SHAPE' })
      expect(seen.map((s) => s.call.op)).toEqual(['fit', 'predict'])
      expect(seen[0]!.call.X).toMatchObject({ name: 'd[x]', version: 1, rows: 3 })
      expect(seen[0]!.call.Y).toMatchObject({ name: 'd[y]', version: 1 })
      expect(seen[0]!.call.model).toMatchObject({ name: 'lin', version: 1 })
      expect(seen[1]!.call.model.version).toBe(2)
      expect(seen[1]!.ok?.type).toBe('tensor')
      expect(seen.every((s) => s.ms >= 0)).toBe(true)
      remove()
      await om.runtime.model('lin').predict([[4]])
      expect(seen).toHaveLength(2)
    } finally {
      await om.close()
    }
  })

  it('an observer that throws never fails the call; close() awaits observers after running calls', async () => {
    const om = await open()
    const order: string[] = []
    om.runtime.observe({
      onCall: () => {
        throw new Error('observer bug')
      },
    })
    om.runtime.observe({
      onCall: () => ({
        success: () => {
          order.push('call done')
          throw new Error('watch bug')
        },
        failure: () => undefined,
      }),
      close: async () => {
        order.push('observer closed')
      },
    })
    await om.runtime.model('lin').fit('d[x]', 'd[y]')
    const predicting = om.runtime.model('lin').predict([[4]])
    await om.close()
    expect(await predicting).toBeTruthy()
    expect(order).toEqual(['call done', 'call done', 'observer closed'])
  })
})
