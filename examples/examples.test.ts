import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx')

function run(example: string, env: Record<string, string> = {}): string {
  return execFileSync(tsx, [join(import.meta.dirname, example)], {
    encoding: 'utf8',
    env: { ...process.env, OMEGA_HOME: mkdtempSync(join(tmpdir(), 'omega-example-')), ...env },
    timeout: 120_000,
  })
}

describe('examples', () => {
  it('quickstart stores iris and a random forest, and prints real predictions', () => {
    const out = run('quickstart.ts')
    expect(out).toMatch(/stored iris \(150 rows\) and iris-rf version 1 \(mljs\.RandomForestClassifier/)
    expect(out).toContain('row 0: features [5.1,3.5,1.4,0.2] -> predicted 0, actual 0')
    expect(out).toMatch(/row 50: .* -> predicted 1, actual 1/)
    expect(out).toMatch(/row 100: .* -> predicted 2, actual 2/)
  })
})
