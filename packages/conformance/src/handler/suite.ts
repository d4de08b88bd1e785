import { Omega, MODEL_OPERATIONS, artifactsOf, collectBytes, type Handler, type HandlerContext, type ObjectStore } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith } from '../context.js'

/** One value the handler must store and bring back, with a probe whose result must survive the round trip. */
export interface HandlerFixture {
  readonly name: string
  /** A fresh value (called once per test). */
  value(): unknown | Promise<unknown>
  /** What must be equal before and after the round trip (predictions, contents…). */
  probe(value: unknown): unknown | Promise<unknown>
}

/** How a handler package runs the suite. */
export interface HandlerSuiteOptions {
  /** Values the handler supports. */
  readonly fixtures: readonly HandlerFixture[]
  /** Values it must not claim. */
  readonly foreign: readonly unknown[]
  /** Plugin module URLs that register the handler (used for the runtime checks). */
  readonly plugins: readonly string[]
  /** Data for an operation the handler lacks, to check the E_UNSUPPORTED it gets (X as rows). */
  readonly unsupportedX?: readonly (readonly number[])[]
  /** Releases a value (ONNX sessions). */
  release?(value: unknown): Promise<void>
}

/**
 * The Handler contract: it claims its values and no others, its kindMeta is plain JSON, its parts
 * are bytes, and deserialize(serialize(v)) behaves like v, directly and through om.models.put/get.
 * For model handlers, every operation it lacks is E_UNSUPPORTED naming the kind and the operation.
 */
export function handlerSuite(name: string, handler: Handler, options: HandlerSuiteOptions): void {
  const context: HandlerContext = { name: 'conformance', store: handler.stores[0]!, options: {} }
  describe(`${name}: handler ${handler.kind}`, () => {
    it('supports its fixtures and no foreign value', async () => {
      for (const f of options.fixtures) expect(handler.supports(await f.value()), f.name).toBe(true)
      for (const v of options.foreign) expect(handler.supports(v), String(v)).toBe(false)
    })

    it.each(options.fixtures.map((f) => [f.name, f] as const))('%s: kindMeta is plain JSON, parts are bytes, and a round trip keeps the probe', async (_, f) => {
      const value = await f.value()
      const artifacts = await handler.serialize(value as never, context)
      expect(JSON.parse(JSON.stringify(artifacts.kindMeta))).toEqual(artifacts.kindMeta)
      const parts: Record<string, Uint8Array> = {}
      for (const [part, source] of Object.entries(artifacts.parts)) {
        parts[part] = source instanceof Uint8Array ? source : await collectBytes(source)
        expect(parts[part]).toBeInstanceOf(Uint8Array)
      }
      const back = await handler.deserialize(artifactsOf(artifacts.kindMeta, parts), context)
      expect(await f.probe(back)).toEqual(await f.probe(value))
      await options.release?.(back)
      await options.release?.(value)
    })

    it.each(options.fixtures.map((f) => [f.name, f] as const))('%s: put and get through Omega keep the probe', async (_, f) => {
      const om = await Omega.open({ store: 'memory:', plugins: [...options.plugins], runtime: 'inline' })
      try {
        const value = await f.value()
        const store: ObjectStore = handler.stores.includes('models') ? om.models : om.datasets
        const meta = await store.put(value, 'fixture', { kind: handler.kind })
        expect(meta.kind).toBe(handler.kind)
        const back = await store.get('fixture')
        expect(await f.probe(back)).toEqual(await f.probe(value))
        await options.release?.(back)
        await options.release?.(value)
      } finally {
        await om.close()
      }
    })

    const missing = MODEL_OPERATIONS.filter((op) => typeof (handler as unknown as Record<string, unknown>)[op] !== 'function')
    // Only model handlers that lack an operation have this test (branch on the capability, not on names).
    if (handler.stores.includes('models') && missing.length > 0 && options.unsupportedX !== undefined) it(
      `operations it lacks (${missing.join(', ')}) are E_UNSUPPORTED naming kind and operation`,
      async () => {
        const om = await Omega.open({ store: 'memory:', plugins: [...options.plugins], runtime: 'inline' })
        try {
          await om.models.put(await options.fixtures[0]!.value(), 'm', { kind: handler.kind })
          const X = options.unsupportedX!.map((r) => [...r])
          for (const op of missing) {
            const proxy = om.runtime.model('m') as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
            const call = op === 'fit' || op === 'partialFit' || op === 'score' ? proxy[op]!(X, X.map(() => 0)) : proxy[op]!(X)
            const err = await rejectsWith(call, 'E_UNSUPPORTED')
            expect(err.details).toMatchObject({ kind: handler.kind, op })
          }
        } finally {
          await om.close()
        }
      },
    )
  })
}
