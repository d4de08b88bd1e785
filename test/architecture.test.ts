// Structural invariants of the monorepo, checked as tests rather than left to review.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const PLUGIN_GROUPS = ['backends', 'handlers', 'runtimes']

function files(dir: string, ext = '.ts'): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist') return []
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : []
  })
}

interface Pkg {
  dir: string
  json: {
    name: string
    private?: boolean
    type?: string
    sideEffects?: boolean
    exports?: Record<string, { types?: string; default?: string } | string>
    dependencies?: Record<string, string>
    peerDependencies?: Record<string, string>
  }
}

function packages(): Pkg[] {
  const dirs = [
    ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
    ...PLUGIN_GROUPS.flatMap((g) => (existsSync(join(root, 'packages', g)) ? readdirSync(join(root, 'packages', g)).map((d) => join(root, 'packages', g, d)) : [])),
  ]
  return dirs.filter((d) => existsSync(join(d, 'package.json'))).map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Pkg['json'] }))
}

const imports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!)

describe('architecture', () => {
  it('core imports no plugin and no framework library', () => {
    const banned = /^(@omega\/|classic-level|onnxruntime|@tensorflow\/|piscina|@aws-sdk\/|ml-)/
    for (const file of files(join(root, 'packages/core/src'))) {
      for (const spec of imports(file)) expect(banned.test(spec), `${relative(root, file)} imports ${spec}`).toBe(false)
    }
  })

  it('plugins depend on core as a peer and never on each other', () => {
    for (const { dir, json } of packages().filter((p) => PLUGIN_GROUPS.some((g) => p.dir.includes(`/packages/${g}/`)))) {
      expect(json.peerDependencies?.['@omega/core'], `${json.name} peer-depends on @omega/core`).toBeDefined()
      const deps = Object.keys({ ...json.dependencies, ...json.peerDependencies }).filter((d) => d.startsWith('@omega/') && d !== '@omega/core')
      expect(deps, `${json.name} depends on other plugins`).toEqual([])
      for (const file of files(join(dir, 'src'))) {
        for (const spec of imports(file)) {
          expect(spec.startsWith('@omega/') && spec !== '@omega/core', `${relative(root, file)} imports ${spec}`).toBe(false)
        }
      }
    }
  })

  it('@omega/tracking is a plugin: core as a peer, no other omega package, and core reaches it only through the call hook', () => {
    const tracking = packages().find((p) => p.json.name === '@omega/tracking')!
    expect(tracking.json.peerDependencies?.['@omega/core']).toBeDefined()
    expect(Object.keys({ ...tracking.json.dependencies, ...tracking.json.peerDependencies }).filter((d) => d.startsWith('@omega/') && d !== '@omega/core')).toEqual([])
    for (const file of files(join(tracking.dir, 'src'))) {
      for (const spec of imports(file)) expect(spec.startsWith('@omega/') && spec !== '@omega/core', `${relative(root, file)} imports ${spec}`).toBe(false)
    }
    for (const file of files(join(root, 'packages/core/src'))) expect(readFileSync(file, 'utf8'), relative(root, file)).not.toMatch(/tracking['"/]/)
    // Only the batteries package wires it into Omega.
    const dependents = packages().filter((p) => p.json.dependencies?.['@omega/tracking'] !== undefined).map((p) => p.json.name)
    expect(dependents).toEqual(['@omega/omega'])
  })

  it('the REST server depends on core only', () => {
    const json = JSON.parse(readFileSync(join(root, 'packages/server/package.json'), 'utf8')) as Pkg['json']
    expect(Object.keys({ ...json.dependencies, ...json.peerDependencies }).filter((d) => d.startsWith('@omega/'))).toEqual(['@omega/core'])
    for (const file of files(join(root, 'packages/server/src'))) {
      for (const spec of imports(file)) expect(spec.startsWith('@omega/') && spec !== '@omega/core', `${relative(root, file)} imports ${spec}`).toBe(false)
    }
  })

  it('every backend runs the conformance suite from one test file', () => {
    for (const { dir, json } of packages().filter((p) => p.dir.includes('/packages/backends/'))) {
      const test = join(dir, 'test/conformance.test.ts')
      expect(existsSync(test), `${json.name} has test/conformance.test.ts`).toBe(true)
      expect(readFileSync(test, 'utf8')).toMatch(/conformance\(/)
    }
  })

  it('every handler package runs the handler suite from one test file', () => {
    for (const { dir, json } of packages().filter((p) => p.dir.includes('/packages/handlers/'))) {
      const test = join(dir, 'test/conformance.test.ts')
      expect(existsSync(test), `${json.name} has test/conformance.test.ts`).toBe(true)
      expect(readFileSync(test, 'utf8')).toMatch(/handlerSuite\(/)
    }
  })

  it('every published package is ESM with an exports map of types and default, built to dist', () => {
    for (const { dir, json } of packages().filter((p) => !p.json.private)) {
      expect(json.type, json.name).toBe('module')
      expect(json.sideEffects, json.name).toBe(json.name === '@omega/omega')
      const main = json.exports?.['.']
      expect(typeof main === 'object' && main.types && main.default, `${json.name} exports["."]`).toBeTruthy()
      const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: { outDir: string } }
      expect(tsconfig.compilerOptions.outDir).toBe('dist')
      expect(existsSync(join(dir, (main as { default: string }).default)), `${json.name} built`).toBe(true)
    }
  })

  it('no source file is over 400 lines without a size waiver', () => {
    for (const file of files(join(root, 'packages')).filter((f) => f.includes('/src/'))) {
      const text = readFileSync(file, 'utf8')
      const lines = text.split('\n').length
      if (lines > 400) expect(text.includes('// size:'), `${relative(root, file)} has ${lines} lines`).toBe(true)
    }
  })

  it('every error code thrown anywhere is documented in the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const errorsSection = readme.slice(readme.indexOf('## Errors'))
    const codes = new Set<string>()
    for (const file of files(join(root, 'packages')).filter((f) => f.includes('/src/'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'(E_[A-Z_]+)'/g)) codes.add(m[1]!)
    }
    expect(codes.size).toBeGreaterThan(5)
    for (const code of codes) expect(errorsSection, `README documents ${code}`).toContain(`### \`${code}\``)
  })
})
