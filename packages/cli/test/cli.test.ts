// The real `omega` binary, spawned as a user would run it: results, exit codes, formats, archives.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DecisionTreeClassifier } from 'ml-cart'
import { describe, expect, it } from 'vitest'
import { Omega } from '@omega/omega'
import { tempDir } from '@omega/conformance'
import { BIN, json, omega } from './omega-binary.js'

const FIXTURES = join(import.meta.dirname, '../../../fixtures')
const IRIS_CSV = join(FIXTURES, 'datasets/iris.csv')
const IRIS_ONNX = join(FIXTURES, 'onnx/logreg_iris.onnx')

const irisTargets = async (): Promise<number[]> =>
  (await readFile(IRIS_CSV, 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(',').at(-1)))

// Each spawn loads the library afresh (about 0.4 s of CPU, several seconds on a loaded machine);
// the tests use separate stores and run concurrently.
describe.concurrent('omega (the binary)', { timeout: 300_000 }, () => {
  it('the README session: import iris CSV, put an ONNX model, predict, export, import into a second store', async () => {
    const dir = tempDir('omega-cli-')
    const store = `level:${join(dir, 'dev')}`
    const put = await omega(['--store', store, 'datasets', 'put', IRIS_CSV, 'iris'])
    expect(put).toMatchObject({ code: 0, stderr: '' })
    expect(put.stdout).toMatch(/^stored iris@1 \(arrow\.table/)
    expect(await json(store, ['models', 'put', IRIS_ONNX, 'iris-model', '--tag', 'production'])).toMatchObject({ name: 'iris-model', version: 1, kind: 'onnx.model', tags: ['production'] })
    const predicted = (await json(store, ['runtime', 'model', 'iris-model@production', 'predict', 'iris[^target]'])) as { model: string; result: { label: number[] } }
    const targets = await irisTargets()
    const correct = predicted.result.label.filter((label, i) => label === targets[i]).length
    expect(predicted.result.label).toHaveLength(150)
    expect(correct / 150).toBeGreaterThan(0.95)
    const text = await omega(['--store', store, 'runtime', 'model', 'iris-model', 'predict', 'iris[^target]'])
    expect(text.stdout.split('\n')[0]).toBe('label\tprobabilities')

    const archive = join(dir, 'iris.tar.gz')
    expect(await json(store, ['export', archive, 'models/iris-*', 'data/iris'])).toMatchObject({ objects: 2, versions: 2 })
    const prod = `fs:${join(dir, 'prod')}`
    const imported = (await json(prod, ['import', archive])) as { objects: { prefix: string; name: string; versions: number[] }[] }
    expect(imported.objects.map((o) => `${o.prefix}${o.name}@${o.versions.join(',')}`).sort()).toEqual(['data/iris@1', 'models/iris-model@1'])
    expect(await json(prod, ['runtime', 'model', 'iris-model@production', 'predict', 'iris[^target]'])).toEqual(predicted)
    expect(await json(prod, ['fsck'])).toMatchObject({ problems: [] })
  })

  it('tables go in and out as CSV, Arrow IPC (file and stream), Parquet and JSON, unchanged', async () => {
    const dir = tempDir('omega-cli-')
    const store = `fs:${join(dir, 'store')}`
    await json(store, ['datasets', 'put', IRIS_CSV, 'iris'])
    const records = async (name: string): Promise<unknown> => {
      const file = join(dir, `${name.replace(/\W/g, '_')}-${Math.random()}.json`)
      await json(store, ['datasets', 'get', name, file])
      return JSON.parse(await readFile(file, 'utf8')) as unknown
    }
    const original = await records('iris')
    expect(original).toHaveLength(150)
    for (const ext of ['csv', 'arrow', 'arrows', 'parquet']) {
      const file = join(dir, `iris.${ext}`)
      await json(store, ['datasets', 'get', 'iris', file])
      await json(store, ['datasets', 'put', file, `from-${ext}`])
      expect(await records(`from-${ext}`), ext).toEqual(original)
    }
    // Parquet written by omega is compressed and read back by the library (not only by us).
    const parquet = await readFile(join(dir, 'iris.parquet'))
    expect(parquet.subarray(0, 4).toString()).toBe('PAR1')
    await json(store, ['datasets', 'get', 'iris[sepal_length,target]', join(dir, 'two.csv')])
    expect((await readFile(join(dir, 'two.csv'), 'utf8')).split('\n')[0]).toBe('sepal_length,target')
    await json(store, ['datasets', 'put', join(dir, 'iris.csv'), 'iris', '--append'])
    expect(await json(store, ['datasets', 'metadata', 'iris'])).toMatchObject({ version: 2, kindMeta: { rows: 300 } })
    await writeFile(join(dir, 'semi.csv'), 'a;b\n1;x\n2;y\n')
    await json(store, ['datasets', 'put', join(dir, 'semi.csv'), 'semi', '--csv', 'delimiter=;', '--csv', 'types={"a":"int32"}'])
    expect(await records('semi')).toEqual([{ a: 1, b: 'x' }, { a: 2, b: 'y' }])
    await writeFile(join(dir, 'blob.bin'), Buffer.from([1, 2, 3]))
    expect(await json(store, ['datasets', 'put', join(dir, 'blob.bin'), 'blob'])).toMatchObject({ kind: 'file', size: 3 })
    await json(store, ['datasets', 'get', 'blob', join(dir, 'blob.out')])
    expect([...(await readFile(join(dir, 'blob.out')))]).toEqual([1, 2, 3])
  })

  it('runtime fit, score and gridsearch on a model stored by the library; models revisions, tag, promote, get, drop', async () => {
    const dir = tempDir('omega-cli-')
    const store = `level:${join(dir, 'store')}`
    const om = await Omega.open({ store })
    await om.datasets.readCsv(IRIS_CSV, 'iris')
    await om.models.put(new DecisionTreeClassifier({ maxDepth: 3 }), 'tree')
    await om.close()
    const fitted = (await json(store, ['runtime', 'model', 'tree', 'fit', 'iris[^target]', 'iris[target]'])) as { result: { version: number } }
    expect(fitted.result.version).toBe(2)
    const scored = (await json(store, ['runtime', 'model', 'tree', 'score', 'iris[^target]', 'iris[target]'])) as { result: number }
    expect(scored.result).toBeGreaterThan(0.9)
    const search = (await json(store, ['runtime', 'model', 'tree', 'gridsearch', 'iris[^target]', 'iris[target]', '--param', 'maxDepth=[1,3]', '--cv', '2'])) as { result: { version: number } }
    expect(search.result.version).toBe(3)
    const stored = (await json(store, ['runtime', 'model', 'tree@2', 'predict', 'iris[^target]', '--result', 'preds'])) as { result: { name: string } }
    expect(stored.result.name).toBe('preds')
    expect(((await json(store, ['models', 'revisions', 'tree'])) as unknown[]).length).toBe(3)
    await json(store, ['models', 'tag', 'tree@2', 'production'])
    expect(await json(store, ['models', 'metadata', 'tree@production'])).toMatchObject({ version: 2 })
    expect(await json(store, ['models', 'promote', 'tree@production', '--to', 'prod'])).toMatchObject({ bucket: 'prod', version: 1 })
    expect(await json(store, ['--bucket', 'prod', 'models', 'list'])).toEqual(['tree'])
    const other = `fs:${join(dir, 'other')}`
    expect(await json(store, ['models', 'promote', 'tree', '--to', other, '--as', 'tree-copy'])).toMatchObject({ name: 'tree-copy' })
    expect(await json(other, ['models', 'list'])).toEqual(['tree-copy'])
    await json(store, ['models', 'put', IRIS_ONNX, 'onnx'])
    await json(store, ['models', 'get', 'onnx', join(dir, 'back.onnx')])
    expect(await readFile(join(dir, 'back.onnx'))).toEqual(await readFile(IRIS_ONNX))
    await json(store, ['models', 'drop', 'tree@1'])
    expect(((await json(store, ['models', 'revisions', 'tree'])) as { version: number }[]).map((r) => r.version)).toEqual([2, 3])
  })

  it('exit codes: usage 1, OmegaError 2 with its code and message on stderr (JSON with --json), nothing half-written', async () => {
    const dir = tempDir('omega-cli-')
    const store = `fs:${join(dir, 'store')}`
    for (const args of [['nope'], ['datasets', 'put', '--nope', 'a', 'b'], ['datasets', 'put', 'only-one-arg'], ['runtime', 'model', 'm', 'explode', 'X'], ['--runtime', 'gpu', 'models', 'list'], ['datasets', 'put', IRIS_CSV, 'x', '--csv', 'nope=1'], ['runtime', 'model', 'm', 'score', 'X']]) {
      const ran = await omega(['--store', store, ...args])
      expect(ran.code, args.join(' ')).toBe(1)
      expect(ran.stderr).toMatch(/^error: |^omega: usage: /m)
      expect(ran.stdout).toBe('')
    }
    expect((await omega(['--help'])).code).toBe(0)
    expect((await omega(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    const missing = await omega(['--store', store, 'datasets', 'put', join(dir, 'missing.csv'), 'x'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^omega: E_NOT_FOUND: /)
    const asJson = await omega(['--store', store, '--json', 'models', 'metadata', 'ghost'])
    expect(asJson.code).toBe(2)
    expect(asJson.stdout).toBe('')
    expect(JSON.parse(asJson.stderr)).toMatchObject({ code: 'E_NOT_FOUND' })
    await writeFile(join(dir, 'bad.csv'), 'a,b\n1,2\nx,3\n')
    const bad = await omega(['--store', store, 'datasets', 'put', join(dir, 'bad.csv'), 'bad', '--csv', 'chunkSize=1'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/E_INVALID_ARGUMENT: CSV line 3/)
    expect(await json(store, ['datasets', 'list'])).toEqual([])
    await json(store, ['models', 'put', IRIS_ONNX, 'm'])
    await json(store, ['datasets', 'put', IRIS_CSV, 'iris'])
    const shape = await omega(['--store', store, 'runtime', 'model', 'm', 'predict', 'iris'])
    expect(shape.code).toBe(2)
    expect(shape.stderr).toMatch(/^omega: E_DATA_SHAPE: /)
    const notOnnx = await omega(['--store', store, 'models', 'put', IRIS_CSV, 'm2'])
    expect(notOnnx.code).toBe(2)
    const serve = await omega(['--store', store, 'serve'])
    if (!existsSync(join(import.meta.dirname, '../node_modules/@omega/server'))) {
      expect(serve.code).toBe(2)
      expect(serve.stderr).toContain('E_UNSUPPORTED: omega serve needs the REST server package: npm install @omega/server')
    }
  })

  it('a tampered archive: exit 2 E_INTEGRITY and the target store stays empty', async () => {
    const dir = tempDir('omega-cli-')
    const store = `level:${join(dir, 'dev')}`
    await json(store, ['datasets', 'put', IRIS_CSV, 'iris'])
    await json(store, ['models', 'put', IRIS_ONNX, 'iris-model'])
    const archive = join(dir, 'arc')
    await json(store, ['export', archive, 'models/*', 'data/*', '--versions', 'latest'])
    const shard = (await readdir(join(archive, 'blobs')))[0]!
    const blob = join(archive, 'blobs', shard, (await readdir(join(archive, 'blobs', shard)))[0]!)
    const bytes = await readFile(blob)
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1
    await writeFile(blob, bytes)
    const prod = `fs:${join(dir, 'prod')}`
    const ran = await omega(['--store', prod, 'import', archive])
    expect(ran.code).toBe(2)
    expect(ran.stderr).toMatch(/^omega: E_INTEGRITY: archive .* fails its manifest/)
    expect(await json(prod, ['models', 'list'])).toEqual([])
    expect(await json(prod, ['datasets', 'list'])).toEqual([])
  })

  it('--json prints exactly one JSON value for every command; --quiet prints only requested data', async () => {
    const dir = tempDir('omega-cli-')
    const store = `fs:${join(dir, 'store')}`
    const commands = [
      ['datasets', 'put', IRIS_CSV, 'iris'],
      ['datasets', 'list'],
      ['datasets', 'list', '--raw'],
      ['datasets', 'metadata', 'iris'],
      ['datasets', 'revisions', 'iris'],
      ['datasets', 'tag', 'iris', 'gold'],
      ['datasets', 'get', 'iris', join(dir, 'i.csv')],
      ['datasets', 'promote', 'iris', '--to', 'b2'],
      ['export', join(dir, 'x.tar.gz'), 'data/iris'],
      ['--bucket', 'b3', 'import', join(dir, 'x.tar.gz')],
      ['fsck'],
      ['datasets', 'drop', 'iris'],
    ]
    for (const args of commands) {
      const ran = await omega(['--store', store, '--json', ...args])
      expect(ran.code, args.join(' ')).toBe(0)
      expect(() => JSON.parse(ran.stdout), args.join(' ')).not.toThrow()
      expect(ran.stdout.trim().split('\n'), args.join(' ')).toHaveLength(1)
    }
    const quiet = await omega(['--store', store, '--quiet', 'datasets', 'put', IRIS_CSV, 'iris'])
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' })
    expect((await omega(['--store', store, '-q', 'datasets', 'list'])).stdout).toBe('iris\n')
  })

  it('progress bars: drawn on a terminal (through script), never on a pipe', async () => {
    const dir = tempDir('omega-cli-')
    const store = `fs:${join(dir, 'store')}`
    const csv = join(dir, 'big.csv')
    const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${i % 7},${(i * 0.5).toFixed(1)}`)
    await writeFile(csv, `a,b,c\n${rows.join('\n')}\n`)
    const piped = await omega(['--store', store, 'datasets', 'put', csv, 'big'])
    expect(piped.code).toBe(0)
    expect(piped.stderr).toBe('')
    expect(piped.stdout).not.toMatch(/%|\u001b\[/)
    let script: string | undefined
    try {
      script = execFileSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).trim()
    } catch {
      script = undefined
    }
    if (!script) return // util-linux `script` absent: the terminal half cannot run here.
    const command = [process.execPath, BIN, '--store', store, 'datasets', 'put', csv, 'big2'].map((a) => `'${a}'`).join(' ')
    const tty = execFileSync(script, ['-q', '-e', '-c', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, OMEGA_STORE: '' } })
    expect(tty).toMatch(/import big2 \[[^\]]*\] 100%/)
    expect(tty).toMatch(/stored big2@1/)
  })
})
