// Statistics against reference values computed by scipy (reference/make-reference.py → scipy-reference.json).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chi2Contingency, chi2Sf, kolmogorovSf, ks2samp, psiNumeric, wasserstein } from '../dist/index.js'

interface Ref {
  scipy: string
  ks: { a: number[]; b: number[]; statistic: number; pvalue: number }[]
  kstwobign: { x: number; sf: number }[]
  wasserstein: { a: number[]; b: number[]; value: number }[]
  chi2: { a: number[]; b: number[]; statistic: number; pvalue: number; dof: number }[]
  chi2sf: { x: number; dof: number; sf: number }[]
  psi: { a: number[]; b: number[]; value: number }[]
}
const ref = JSON.parse(readFileSync(new URL('./reference/scipy-reference.json', import.meta.url), 'utf8')) as Ref
const close = (actual: number, expected: number): void => expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9)

describe('statistics against scipy', () => {
  it('the issue reference case: KS 0.3, p = 0.7869297884777761, W = 0.25', () => {
    const a = Array.from({ length: 10 }, (_, i) => (i + 1) / 10)
    const b = a.map((v) => v + 0.25)
    const ks = ks2samp(a, b)
    close(ks.statistic, 0.3)
    close(ks.pvalue, 0.7869297884777761)
    expect(ks.method).toBe('exact')
    close(wasserstein(a, b), 0.25)
  })

  it('ks_2samp exact mode, equal and unequal sizes, ties', () => {
    expect(ref.ks.length).toBeGreaterThanOrEqual(8)
    for (const c of ref.ks) {
      const r = ks2samp(c.a, c.b)
      close(r.statistic, c.statistic)
      close(r.pvalue, c.pvalue)
    }
  })

  it('kstwobign.sf (the asymptotic p-value used above 10000 values)', () => {
    for (const c of ref.kstwobign) close(kolmogorovSf(c.x), c.sf)
  })

  it('wasserstein_distance', () => {
    for (const c of ref.wasserstein) close(wasserstein(c.a, c.b), c.value)
  })

  it('chi2_contingency (with Yates correction at one degree of freedom) and chi2.sf', () => {
    for (const c of ref.chi2) {
      const r = chi2Contingency(c.a, c.b)
      expect(r.dof).toBe(c.dof)
      close(r.statistic, c.statistic)
      close(r.pvalue, c.pvalue)
    }
    for (const c of ref.chi2sf) close(chi2Sf(c.x, c.dof), c.sf)
  })

  it('PSI by the documented definition (numpy reference)', () => {
    for (const c of ref.psi) close(psiNumeric(c.a, c.b), c.value)
  })

  it('empty samples are refused', () => {
    expect(() => ks2samp([], [1])).toThrow(RangeError)
    expect(() => wasserstein([1], [])).toThrow(RangeError)
  })
})
