import { Omega, type JsonObject, type JsonValue, type StorageBackend } from '@omega/core'
import type { BackendSuiteOptions } from '../context.js'

/** A tiny estimator: predicts `w * x0 + b`. Used to exercise the model store on any backend. */
export class TestLinear {
  w: number
  b: number
  constructor(params: { w?: number; b?: number } = {}) {
    this.w = params.w ?? 0
    this.b = params.b ?? 0
  }
  fit(X: number[][], y: number[]): this {
    const n = X.length
    const mx = X.reduce((s, r) => s + r[0]!, 0) / n
    const my = y.reduce((s, v) => s + v, 0) / n
    let num = 0
    let den = 0
    X.forEach((r, i) => {
      num += (r[0]! - mx) * (y[i]! - my)
      den += (r[0]! - mx) ** 2
    })
    this.w = den === 0 ? 0 : num / den
    this.b = my - this.w * mx
    return this
  }
  predict(X: number[][]): number[] {
    return X.map((r) => this.w * r[0]! + this.b)
  }
  toJSON(): JsonObject {
    return { w: this.w, b: this.b }
  }
  static load(json: JsonValue): TestLinear {
    return new TestLinear(json as { w: number; b: number })
  }
}

/** An open Omega on a fresh backend of the suite, in `bucket`, with {@link TestLinear} registered. */
export async function openStore(
  options: BackendSuiteOptions,
  bucket: string,
): Promise<{ om: Omega; raw: StorageBackend; close: () => Promise<void> }> {
  const raw = await options.factory()
  const om = await Omega.open({ ...(options.openOptions ?? {}), store: raw, bucket })
  om.registerEstimator('TestLinear', TestLinear)
  return { om, raw, close: () => om.close() }
}

/**
 * Every document key and blob address in the backend: to prove that nothing was written. The
 * store's format marker (`#format`, written when an empty store is first opened) is left out.
 */
export async function snapshot(raw: StorageBackend): Promise<{ docs: string[]; blobs: string[] }> {
  const docs: string[] = []
  for await (const d of raw.meta.list('')) if (d.key !== '#format') docs.push(d.key)
  const blobs: string[] = []
  for await (const b of raw.blobs.list()) blobs.push(b.sha256)
  return { docs: docs.sort(), blobs: blobs.sort() }
}
