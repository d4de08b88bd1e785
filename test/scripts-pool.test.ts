// Stored scripts on the pool: real worker threads, a real LevelDB store the workers cannot open, and
// the script's om reaching the application's instance over a message port.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DecisionTreeClassifier } from 'ml-cart'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Omega } from '@omega/omega'
import { rejectsWith, tempDir } from '@omega/conformance'

// Extract scripts below this package's node_modules, so their bare imports resolve as this
// package's own code does (the application's dependencies).
process.env.OMEGA_SCRIPT_CACHE = join(import.meta.dirname, 'node_modules', '.cache', 'omega-scripts-test')

let pool: Omega
let inline: Omega

beforeAll(async () => {
  pool = await Omega.open({ store: `level:${tempDir('omega-scripts-pool-')}`, runtime: 'pool', threads: 1 })
  inline = await Omega.open({ store: `level:${tempDir('omega-scripts-inline-')}`, runtime: 'inline' })
  for (const om of [pool, inline]) {
    await om.datasets.put(
      Array.from({ length: 40 }, (_, i) => ({ a: i % 4, b: (i * 7) % 5, y: i % 4 > 1 ? 1 : 0 })),
      'train',
    )
    await om.models.put(new DecisionTreeClassifier({ maxDepth: 3 }), 'tree')
  }
})
afterAll(async () => {
  await pool?.close()
  await inline?.close()
})

/** A script package on disk: package.json exports → src/main.mjs, which re-exports run from a helper. */
function packageDir(): string {
  const dir = tempDir('omega-script-pkg-')
  mkdirSync(join(dir, 'src'))
  mkdirSync(join(dir, 'node_modules', 'ignored'), { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'summary', type: 'module', exports: { '.': { import: './src/main.mjs' } } }))
  writeFileSync(join(dir, 'src', 'main.mjs'), "export * from './run.mjs'\n")
  writeFileSync(
    join(dir, 'src', 'run.mjs'),
    `import { tableFromArrays } from 'apache-arrow'
import { mean } from './stats.js'
export async function run(om, args) {
  const data = await om.datasets.get(args.source)
  const names = data.schema.fields.map((f) => f.name)
  const summary = tableFromArrays({ column: names, mean: Float64Array.from(names.map((n) => mean(data.getChild(n).toArray()))) })
  const meta = await om.datasets.put(summary, args.target)
  return { rows: data.numRows, summary, version: meta.version }
}
`,
  )
  writeFileSync(join(dir, 'src', 'stats.js'), 'export const mean = (xs) => xs.reduce((a, b) => a + Number(b), 0) / xs.length\n')
  writeFileSync(join(dir, 'node_modules', 'ignored', 'index.js'), 'this is not even javascript')
  return dir
}

describe('scripts on the pool', () => {
  it('a package directory is packed (without node_modules), imports the application\'s dependencies, and reads and writes tables through its om', async () => {
    const dir = packageDir()
    const meta = await pool.scripts.put({ path: dir }, 'summary')
    expect(meta.kindMeta.entry).toBe('src/main.mjs')
    expect((meta.kindMeta.files as { path: string }[]).map((f) => f.path)).toEqual(['package.json', 'src/main.mjs', 'src/run.mjs', 'src/stats.js'])
    await inline.scripts.put({ path: dir }, 'summary')
    const onPool = await pool.runtime.script('summary').run({ source: 'train', target: 'train-summary' })
    const onInline = await inline.runtime.script('summary').run({ source: 'train', target: 'train-summary' })
    for (const [om, run] of [[pool, onPool], [inline, onInline]] as const) {
      const result = run.result as { rows: number; summary: { toArray(): { toJSON(): object }[] } }
      expect(result.rows).toBe(40)
      // The Arrow table the script returned crossed the thread as IPC bytes and is a table again.
      expect(result.summary.toArray().map((r) => r.toJSON())).toEqual([
        { column: 'a', mean: 1.5 },
        { column: 'b', mean: 2 },
        { column: 'y', mean: 0.5 },
      ])
      expect((await om.datasets.get('train-summary')).numRows).toBe(3)
      const [record] = await om.jobs.runs('summary')
      expect(record).toMatchObject({ status: 'success', datasets: ['train-summary'], runtime: om === pool ? 'pool' : 'inline' })
    }
  })

  it('a single .js file is a module; models cross as artifacts: fit by name, get a live model in the worker, put it back', async () => {
    const file = join(tempDir('omega-script-file-'), 'train.js')
    writeFileSync(
      file,
      `export async function run(om, { name }) {
  const fitted = await om.runtime.model(name).fit('train[a,b]', 'train[y]')
  const model = await om.models.get(name)
  const local = model.predict([[0, 0], [3, 1]])
  const copy = await om.models.put(model, name + '-copy', { attributes: { from: fitted.version } })
  const remote = await om.runtime.model(name + '-copy').predict([[0, 0], [3, 1]])
  return { fitted: fitted.version, local, remote: Array.from(remote.data), copy: copy.name, kind: copy.kind, list: await om.models.list() }
}
`,
    )
    for (const om of [pool, inline]) {
      await om.scripts.put({ path: file }, 'train')
      const { result } = await om.runtime.script('train').run({ name: 'tree' })
      expect(result).toEqual({ fitted: 2, local: [0, 1], remote: [0, 1], copy: 'tree-copy', kind: 'mljs.DecisionTreeClassifier', list: ['tree', 'tree-copy'] })
    }
  })

  it("omega errors reach the script typed, as in the application", async () => {
    const source = `export async function run(om) {
  const seen = []
  for (const call of [() => om.datasets.get('nope'), () => om.models.get('nope'), () => om.datasets.put([{ a: 1 }], 'bad/../name')]) {
    try { await call() } catch (e) { seen.push([e.name, e.code]) }
  }
  return { seen, exists: await om.datasets.exists('train'), meta: (await om.datasets.metadata('train')).kind, bucket: om.bucketName }
}`
    for (const om of [pool, inline]) {
      await om.scripts.put(source, 'errors')
      expect((await om.runtime.script('errors').run()).result).toEqual({
        seen: [['OmegaError', 'E_NOT_FOUND'], ['OmegaError', 'E_NOT_FOUND'], ['OmegaError', 'E_INVALID_NAME']],
        exists: true,
        meta: 'arrow.table',
        bucket: 'default',
      })
    }
  })

  it('a throw in a worker is E_WORKER with the script\'s message and stack', async () => {
    await pool.scripts.put('export async function run(om, args) {\n  await om.datasets.exists("train")\n  throw new TypeError(`bad day ${args.day}`)\n}', 'fails')
    const err = await rejectsWith(pool.runtime.script('fails').run({ day: 'monday' }), 'E_WORKER')
    expect(err.message).toBe('script "fails" failed: bad day monday')
    expect(err.details.stack).toMatch(/TypeError: bad day monday\n\s+at (Module\.)?run \(file:.*index\.mjs:3/)
    expect((await pool.jobs.runs('fails')).map((r) => r.status)).toEqual(['failed'])
  })

  it('a script that hangs is E_TIMEOUT, its worker is recycled and the next run is served', async () => {
    await pool.scripts.put('export function run() { for (;;) {} }', 'spin')
    const started = Date.now()
    const err = await rejectsWith(pool.runtime.script('spin').run({}, { timeoutMs: 500 }), 'E_TIMEOUT')
    expect(err.message).toContain('its worker was recycled')
    expect(Date.now() - started).toBeLessThan(20_000)
    await pool.scripts.put('export function run(om, args) { return args.n + 1 }', 'inc')
    expect((await pool.runtime.script('inc').run({ n: 41 })).result).toBe(42)
    expect((await pool.jobs.runs('spin'))[0]).toMatchObject({ status: 'failed', error: { code: 'E_TIMEOUT' } })
  })

  it('a CommonJS package entry is refused at put', async () => {
    const dir = tempDir('omega-script-cjs-')
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ main: 'index.js' }))
    writeFileSync(join(dir, 'index.js'), 'exports.run = () => 1\n')
    const err = await rejectsWith(pool.scripts.put({ path: dir }, 'cjs'), 'E_INVALID_ARGUMENT')
    expect(err.message).toContain('index.js is not an ES module; use .mjs or set "type": "module"')
  })
})

