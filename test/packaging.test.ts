// [slow] omega as other people's applications get it: every publishable package packed as a
// registry would serve it (`pnpm pack`), installed into fresh apps outside the workspace with plain
// `npm install` and no environment variables, then used from an ES module, from CommonJS
// `require`, and from strict TypeScript with `skipLibCheck: false`.
import { execFileSync, spawnSync, type ExecFileSyncOptions } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')
const here = join(import.meta.dirname, 'packaging')
const fixture = (path: string): string => join(root, 'fixtures', path)
const PNPM = ['-y', 'pnpm@10.34.9']
const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'] as const

interface PackageJson {
  name: string
  version: string
  private?: boolean
  main?: string
  types?: string
  exports?: Record<string, string | Record<string, string>>
  [field: string]: unknown
}

/** Every workspace package that is published (not `private`), by directory. */
function publishable(): { dir: string; json: PackageJson }[] {
  const dirs = ['packages', 'packages/backends', 'packages/handlers', 'packages/runtimes'].flatMap((group) =>
    readdirSync(join(root, group)).map((d) => join(root, group, d)),
  )
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson }))
    .filter((p) => p.json.private !== true)
}

/** The environment an application's `npm install` sees: no npm_config_* from the pnpm that runs this test, no omega variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...(process.env.TMPDIR && { TMPDIR: process.env.TMPDIR }) }
}

function run(cmd: string, args: string[], options: ExecFileSyncOptions & { cwd: string }): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(), maxBuffer: 64 * 2 ** 20, ...options }) as string
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${cmd} ${args.join(' ')} failed in ${options.cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n${e.message}`)
  }
}

/** Bytes on disk under a directory (apparent sizes, links not followed). */
function sizeOf(dir: string): number {
  let total = 0
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    const st = statSync(path, { throwIfNoEntry: false })
    if (!st) continue
    total += st.isDirectory() ? sizeOf(path) : st.size
  }
  return total
}

/** Lists the files of a tarball and reads its package.json (tar ships with every Linux and macOS). */
function tarball(path: string): { files: string[]; json: PackageJson } {
  const files = run('tar', ['-tzf', path], { cwd: root }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''))
  const json = JSON.parse(run('tar', ['-xzOf', path, 'package/package.json'], { cwd: root })) as PackageJson
  return { files, json }
}

/** Files the package's entry points name: main, types and every exports target. */
function entryFiles(json: PackageJson): string[] {
  const targets: string[] = []
  const walk = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value)
    else if (value && typeof value === 'object') Object.values(value).forEach(walk)
  }
  walk(json.exports)
  if (json.main) targets.push(json.main)
  if (json.types) targets.push(json.types)
  return targets.map((t) => t.replace(/^\.\//, ''))
}

/** Relative imports of each `.d.ts` in the tarball that name no file in it. */
function danglingDeclarationImports(files: string[], readFile: (f: string) => string): string[] {
  const present = new Set(files)
  const out: string[] = []
  for (const file of files.filter((f) => f.endsWith('.d.ts'))) {
    for (const m of readFile(file).matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      const target = join(file, '..', m[1]!).replace(/\.js$/, '.d.ts')
      if (!present.has(target)) out.push(`${file} -> ${m[1]}`)
    }
  }
  return out
}

/** Packages in an installed tree that run a script at install time, other than those known not to download. */
function installScripts(appDir: string): string[] {
  const out: string[] = []
  const visit = (nodeModules: string): void => {
    if (!existsSync(nodeModules)) return
    for (const name of readdirSync(nodeModules)) {
      if (name.startsWith('.')) continue
      const dirs = name.startsWith('@') ? readdirSync(join(nodeModules, name)).map((n) => join(nodeModules, name, n)) : [join(nodeModules, name)]
      for (const dir of dirs) {
        const pkgPath = join(dir, 'package.json')
        if (!existsSync(pkgPath)) continue
        const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name: string; scripts?: Record<string, string> }
        for (const hook of ['preinstall', 'install', 'postinstall']) {
          if (pkg.scripts?.[hook]) out.push(`${pkg.name} ${hook}: ${pkg.scripts[hook]}`)
        }
        visit(join(dir, 'node_modules'))
      }
    }
  }
  visit(join(appDir, 'node_modules'))
  return out
}

/**
 * Install scripts that are known to fetch nothing: classic-level's only builds from source when no
 * shipped prebuild fits the platform; protobufjs' (under onnxruntime-web) checks its CLI's version;
 * core-js' (under @tensorflow/tfjs) prints a banner.
 */
const SAFE_INSTALL_SCRIPTS = [
  /^classic-level install: node-gyp-build$/,
  /^protobufjs postinstall: node scripts\/postinstall$/,
  // msgpackr-extract (under bullmq's msgpackr) loads a prebuilt optional package; it downloads nothing.
  /^msgpackr-extract install: node-gyp-build-optional-packages$/,
  // core-js (under @tensorflow/tfjs) prints a funding banner.
  /^core-js postinstall: node -e "try\{require\('\.\/postinstall'\)\}catch\(e\)\{\}"$/,
]

/** Opens an s3:// store at an endpoint where nothing listens; prints the error's code and message. */
const S3_OPEN = `
  const { Omega } = await import('@omega/omega')
  const s3 = { endpoint: 'http://127.0.0.1:9', maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }
  await Omega.open({ store: 's3://omega-packaging/p', s3 }).then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`

describe('[slow] packaging: omega installed from its tarballs with plain npm', () => {
  const work = mkdtempSync(join(tmpdir(), 'omega-packaging-'))
  const tarballs = new Map<string, string>()
  const sizes: Record<string, number> = {}

  /** A fresh app whose @omega/* dependencies, direct and transitive, resolve to the tarballs. */
  function app(name: string, deps: Record<string, string>): string {
    const dir = join(work, name)
    rmSync(dir, { recursive: true, force: true })
    execFileSync('mkdir', ['-p', dir])
    const omega = Object.fromEntries([...tarballs].map(([pkg, file]) => [pkg, `file:${file}`]))
    const dependencies = Object.fromEntries(Object.entries(deps).map(([pkg, range]) => [pkg, omega[pkg] ?? range]))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, version: '1.0.0', dependencies, overrides: omega }, null, 2))
    run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir })
    return dir
  }

  beforeAll(() => {
    for (const { dir, json } of publishable()) {
      run('npx', [...PNPM, 'pack', '--pack-destination', work], { cwd: dir, env: { ...cleanEnv(), npm_config_loglevel: 'error' } })
      const file = join(work, `${json.name.replace('@', '').replace('/', '-')}-${json.version}.tgz`)
      expect(existsSync(file), `pnpm pack wrote ${relative(work, file)}`).toBe(true)
      tarballs.set(json.name, file)
    }
    // One `pnpm pack` per published package (16 with @omega/bullmq): slow on a loaded machine.
  }, 240_000)

  afterAll(() => {
    rmSync(work, { recursive: true, force: true })
    if (Object.keys(sizes).length > 0) console.log(`installed sizes: ${Object.entries(sizes).map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(1)} MB`).join(', ')}`)
    // Removing ~700 MB of installed apps (the TensorFlow.js ones are the largest) outlasts the default hook timeout on a busy machine.
  }, 180_000)

  it('every tarball is complete: no workspace:/catalog: ranges, every entry file present, no dangling .d.ts import', () => {
    expect([...tarballs.keys()].sort()).toEqual(expect.arrayContaining(['@omega/core', '@omega/omega', '@omega/onnx', '@omega/tfjs', '@omega/level', '@omega/fs', '@omega/pool', '@omega/mljs']))
    for (const [name, file] of tarballs) {
      const { files, json } = tarball(file)
      for (const field of DEP_FIELDS) {
        for (const [dep, range] of Object.entries((json[field] ?? {}) as Record<string, string>)) {
          expect(range, `${name} ${field}.${dep}`).not.toMatch(/^(workspace|catalog):/)
        }
      }
      for (const entry of entryFiles(json)) expect(files, `${name} ships ${entry}`).toContain(entry)
      expect(json.license, `${name} has a license`).toBe('Apache-2.0')
      expect(files, `${name} ships its LICENSE`).toContain('LICENSE')
      const dangling = danglingDeclarationImports(files, (f) => run('tar', ['-xzOf', file, `package/${f}`], { cwd: root }))
      expect(dangling, `${name}: .d.ts imports of files not in the tarball`).toEqual([])
    }
  })

  describe('the minimal install: @omega/omega alone', () => {
    let dir: string
    beforeAll(() => {
      dir = app('minimal', { '@omega/omega': '*' })
      sizes['@omega/omega'] = sizeOf(join(dir, 'node_modules'))
      expect(existsSync(join(dir, 'node_modules/onnxruntime-node')), 'onnxruntime-node is not installed').toBe(false)
      expect(existsSync(join(dir, 'node_modules/onnxruntime-web')), 'onnxruntime-web is not installed').toBe(false)
      // What the apps add for their own code: Node's types, and apache-arrow for the CJS app's own tables.
      run('npm', ['install', '--no-audit', '--no-fund', '@types/node@^20.19.0', 'apache-arrow@21.2.0'], { cwd: dir })
      for (const f of ['esm-app.mjs', 'cjs-app.cjs', 'typed-app.ts', 'typed-cjs-app.cts', 'tfjs-missing-app.mjs']) copyFileSync(join(here, f), join(dir, f))
      copyFileSync(join(here, 'tsconfig.app.json'), join(dir, 'tsconfig.json'))
    }, 300_000)

    it('runs no install script that could download anything', () => {
      expect(installScripts(dir).filter((s) => !SAFE_INSTALL_SCRIPTS.some((safe) => safe.test(s)))).toEqual([])
    })

    it('an ES module app stores, fits on the worker pool and predicts; an ONNX put says which package to install', () => {
      const out = JSON.parse(run('node', ['esm-app.mjs', fixture('datasets/iris.csv'), fixture('onnx/logreg_iris.onnx')], { cwd: dir })) as Record<string, any>
      expect(out.location).toContain(join(dir, '.omega'))
      expect(out.version).toBe(2)
      expect(out.rows).toBe(150)
      expect(out.first).toBe(0)
      expect(out.direct).toEqual([0])
      expect(out.onnx).toMatchObject({ isOmegaError: true, code: 'E_UNSUPPORTED', exists: false })
      expect(out.onnx.message).toContain('npm install @omega/onnx')
    })

    it('a CommonJS app requires @omega/omega, gets the same classes and errors, and puts tables of its own (CJS) apache-arrow', () => {
      const child = spawnSync('node', ['cjs-app.cjs', fixture('datasets/iris.csv')], { cwd: dir, env: cleanEnv(), encoding: 'utf8' })
      expect(child.status, child.stderr).toBe(0)
      expect(child.stderr, 'no warning (require of an ES module from node_modules is silent)').toBe('')
      const out = JSON.parse(child.stdout) as Record<string, unknown>
      expect(out).toEqual({
        version: 2,
        first: 0,
        missing: { isOmegaError: true, code: 'E_NOT_FOUND' },
        cities: [
          { city: 'Zürich', at: 0, n: 1 },
          { city: 'Basel', at: 86_400_000, n: 2 },
          { city: null, at: null, n: 3 },
          { city: 'Zürich', at: 1_700_000_000_000, n: 4 },
        ],
        types: ['Dictionary<Int32, Utf8>', 'Timestamp<MILLISECOND>', 'Float64'],
      })
    })

    it('a TensorFlow.js model without @omega/tfjs installed: E_UNSUPPORTED saying which package to install, nothing stored', () => {
      expect(existsSync(join(dir, 'node_modules/@tensorflow')), '@tensorflow/* is not installed').toBe(false)
      const out = JSON.parse(run('node', ['tfjs-missing-app.mjs'], { cwd: dir })) as { code: string; message: string; exists: boolean }
      expect(out).toMatchObject({ code: 'E_UNSUPPORTED', exists: false })
      expect(out.message).toContain('npm install @omega/tfjs')
    })

    it('a strict TypeScript app (skipLibCheck: false, ESM and CJS) type-checks against the installed declarations', () => {
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir })
    })

    it('an s3:// store says which package to install', () => {
      expect(existsSync(join(dir, 'node_modules/@aws-sdk')), 'the AWS SDK is not installed').toBe(false)
      const out = JSON.parse(run('node', ['--input-type=module', '-e', S3_OPEN], { cwd: dir })) as { code: string; message: string }
      expect(out.code).toBe('E_UNSUPPORTED')
      expect(out.message).toContain('npm install @omega/s3')
    })
  })

  describe('the S3 install: @omega/omega and @omega/s3', () => {
    it('registers s3:// (an unreachable endpoint is E_BACKEND naming the store) and runs no install script', () => {
      const dir = app('s3', { '@omega/omega': '*', '@omega/s3': '*' })
      sizes['@omega/omega + @omega/s3'] = sizeOf(join(dir, 'node_modules'))
      expect(installScripts(dir).filter((s) => !SAFE_INSTALL_SCRIPTS.some((safe) => safe.test(s)))).toEqual([])
      const out = JSON.parse(run('node', ['--input-type=module', '-e', S3_OPEN], { cwd: dir })) as { code: string; message: string }
      expect(out.code, out.message).toBe('E_BACKEND')
      expect(out.message).toContain('s3://omega-packaging/p')
    }, 300_000)
  })

  describe('the queue install: @omega/omega and @omega/bullmq', () => {
    it('registers the bullmq runtime (Redis unreachable at open is E_BACKEND naming the address) and runs no unsafe install script', () => {
      const dir = app('bullmq', { '@omega/omega': '*', '@omega/bullmq': '*' })
      sizes['@omega/omega + @omega/bullmq'] = sizeOf(join(dir, 'node_modules'))
      expect(installScripts(dir).filter((s) => !SAFE_INSTALL_SCRIPTS.some((safe) => safe.test(s)))).toEqual([])
      const open = `import { Omega } from '@omega/omega'
  await Omega.open({ store: 'fs:./store', runtime: { type: 'bullmq', connection: 'redis://127.0.0.1:9', connectTimeoutMs: 2000 } }).then(() => console.log('{}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`
      const out = JSON.parse(run('node', ['--input-type=module', '-e', open], { cwd: dir })) as { code: string; message: string }
      expect(out.code, out.message).toBe('E_BACKEND')
      expect(out.message).toContain('127.0.0.1:9')
      // CommonJS callers get the same module (require(esm)): the plugin and startWorker.
      const cjs = `const b = require('@omega/bullmq'); console.log(JSON.stringify([typeof b.default, typeof b.startWorker, typeof b.BullmqRuntime]))`
      expect(JSON.parse(run('node', ['-e', cjs], { cwd: dir }))).toEqual(['function', 'function', 'function'])
      // Its declarations type-check in a strict app (skipLibCheck: false, exactOptionalPropertyTypes).
      run('npm', ['install', '--no-audit', '--no-fund', '@types/node@^20.19.0'], { cwd: dir })
      copyFileSync(join(here, 'typed-bullmq-app.ts'), join(dir, 'typed-bullmq-app.ts'))
      const tsconfig = JSON.parse(readFileSync(join(here, 'tsconfig.onnx.json'), 'utf8')) as { files: string[] }
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['typed-bullmq-app.ts'] }))
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir })
    }, 300_000)
  })

  describe('the ONNX install: @omega/omega and @omega/onnx, without onnxruntime-node', () => {
    let dir: string
    beforeAll(() => {
      dir = app('onnx', { '@omega/omega': '*', '@omega/onnx': '*' })
      sizes['@omega/omega + @omega/onnx'] = sizeOf(join(dir, 'node_modules'))
      run('npm', ['install', '--no-audit', '--no-fund', '@types/node@^20.19.0'], { cwd: dir })
      for (const f of ['onnx-app.mjs', 'typed-onnx-app.ts']) copyFileSync(join(here, f), join(dir, f))
      copyFileSync(join(here, 'tsconfig.onnx.json'), join(dir, 'tsconfig.json'))
    }, 300_000)

    it('a strict TypeScript app using ONNX type-checks without the DOM library (skipLibCheck: false)', () => {
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir })
    })

    it('runs no install script that could download anything', () => {
      expect(installScripts(dir).filter((s) => !SAFE_INSTALL_SCRIPTS.some((safe) => safe.test(s)))).toEqual([])
    })

    it('puts and predicts the fixture model on onnxruntime-web, inline and on the pool', () => {
      const f = JSON.parse(readFileSync(fixture('onnx/logreg_iris.json'), 'utf8')) as { test: { inputs: { X: number[][] }; expected: { label: number[]; probabilities: number[][] } } }
      const rows = f.test.inputs.X.slice(0, 5)
      const out = JSON.parse(run('node', ['onnx-app.mjs', fixture('onnx/logreg_iris.onnx'), JSON.stringify(rows)], { cwd: dir })) as {
        runtime: string
        inputs: string[]
        label: number[]
        probabilities: number[][]
        pooled: number[]
      }
      expect(out.runtime).toBe('onnxruntime-web')
      expect(out.inputs).toEqual(['X'])
      expect(out.label).toEqual(f.test.expected.label.slice(0, 5))
      expect(out.pooled).toEqual(f.test.expected.label.slice(0, 5))
      out.probabilities.flat().forEach((p, i) => expect(Math.abs(p - f.test.expected.probabilities.flat()[i]!)).toBeLessThan(1e-5))
    })
  })
  it('@omega/omega + @omega/tfjs alone: npm installs the tfjs peers it needs (core, layers, cpu backend), not the whole @tensorflow/tfjs', () => {
    const dir = app('tfjs-min', { '@omega/omega': '*', '@omega/tfjs': '*' })
    sizes['@omega/omega + @omega/tfjs'] = sizeOf(join(dir, 'node_modules'))
    for (const pkg of ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu']) expect(existsSync(join(dir, 'node_modules/@tensorflow', pkg)), pkg).toBe(true)
    for (const pkg of ['tfjs', 'tfjs-backend-webgl', 'tfjs-node', 'tfjs-backend-wasm']) expect(existsSync(join(dir, 'node_modules/@tensorflow', pkg)), pkg).toBe(false)
    expect(run('node', ['--input-type=module', '-e', "console.log(await (await import('@omega/tfjs')).tfjsBackend())"], { cwd: dir }).trim()).toBe('cpu')
  }, 300_000)

  describe('the TensorFlow.js install: @omega/omega, @omega/tfjs and @tensorflow/tfjs, without wasm or tfjs-node', () => {
    let dir: string
    beforeAll(() => {
      dir = app('tfjs', { '@omega/omega': '*', '@omega/tfjs': '*', '@tensorflow/tfjs': '^4.22.0' })
      sizes['@omega/omega + @omega/tfjs + @tensorflow/tfjs'] = sizeOf(join(dir, 'node_modules'))
      for (const f of ['tfjs-app.mjs', 'tfjs-cjs-app.cjs']) copyFileSync(join(here, f), join(dir, f))
    }, 300_000)

    it('installs neither tfjs-node (it downloads libtensorflow) nor the wasm backend, and runs no install script that could download anything', () => {
      expect(existsSync(join(dir, 'node_modules/@tensorflow/tfjs-node'))).toBe(false)
      expect(existsSync(join(dir, 'node_modules/@tensorflow/tfjs-backend-wasm'))).toBe(false)
      expect(installScripts(dir).filter((s) => !SAFE_INSTALL_SCRIPTS.some((safe) => safe.test(s)))).toEqual([])
    })

    it('an ES module app puts a network, fits it on the worker pool on the cpu backend, and predicts bit for bit', () => {
      const X = [[0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 0], [0, 1, 1, 1], [1, 0, 0, 0]]
      const y = [0, 1, 0, 1, 0, 1, 0, 1]
      const out = JSON.parse(run('node', ['tfjs-app.mjs', JSON.stringify(X), JSON.stringify(y)], { cwd: dir })) as Record<string, unknown>
      expect(out).toEqual({ backend: 'cpu', kind: 'tfjs.layers', version: 2, trainedOn: 'cpu', losses: 5, lastEpoch: 5, shape: [8, 1], same: true, compiled: true })
    })

    it('a CommonJS app requires @omega/omega, @omega/tfjs and tfjs, and its model round-trips', () => {
      const child = spawnSync('node', ['tfjs-cjs-app.cjs'], { cwd: dir, env: cleanEnv(), encoding: 'utf8' })
      expect(child.status, child.stderr).toBe(0)
      expect(JSON.parse(child.stdout)).toEqual({ kind: 'tfjs.layers', recognised: true, same: true })
    })
  })
})
