// om.export / om.import: a round trip LevelDB → archive → fs keeps every object byte for byte
// (versions, numbers, tags, attributes); a damaged archive or a clash imports nothing.
import { readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DecisionTreeClassifier } from 'ml-cart'
import { describe, expect, it } from 'vitest'
import { Omega, type Metadata } from '@omega/omega'
import { rejectsWith, tempDir } from '@omega/conformance'

const onnxPath = (): string => join(import.meta.dirname, '../fixtures/onnx/logreg_iris.onnx')

/** A LevelDB store with versioned models and datasets, a dropped middle version, tags, appends. */
async function sourceStore(): Promise<Omega> {
  const om = await Omega.open({ store: `level:${tempDir('omega-src-')}`, runtime: 'inline' })
  await om.datasets.put([{ a: 1, b: 'x' }, { a: 2, b: 'y' }], 'iris/train', { attributes: { owner: 'ana' } })
  await om.datasets.put([{ a: 3, b: 'z' }], 'iris/train', { append: true })
  await om.datasets.put([{ a: 4, b: 'w' }], 'iris/train', { append: true, tag: 'gold' })
  await om.datasets.put({ shape: [2], values: [1, 2] }, 'config', { kind: 'json' })
  const tree = new DecisionTreeClassifier({ maxDepth: 2 })
  tree.train([[0], [1], [2], [3]], [0, 0, 1, 1])
  await om.models.put(tree, 'tree', { attributes: { team: 'a' } })
  await om.models.put(tree, 'tree', { tag: 'staging' })
  await om.models.put(tree, 'tree', { attributes: { note: 'third' } })
  await om.models.drop('tree@2')
  await om.models.put({ path: onnxPath() }, 'iris-onnx', { tag: 'production' })
  return om
}

/** Every version of every object, with its parts' bytes, as the public API shows them. */
async function snapshot(om: Omega): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const store of [om.models, om.datasets]) {
    for (const name of await store.list()) {
      for (const r of await store.revisions(name)) {
        const meta: Metadata = await store.version(`${name}@${r.version}`)
        const parts = await om.models.parts(meta)
        out[`${store.prefix}${name}@${r.version}`] = {
          kind: meta.kind,
          kindMeta: meta.kindMeta,
          attributes: meta.attributes,
          sha256: meta.sha256,
          size: meta.size,
          parent: meta.parent,
          tags: r.tags,
          parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        }
      }
    }
  }
  return out
}

describe('export and import', () => {
  it('LevelDB → .tar.gz → fs is byte-identical per object, with version numbers, tags and gaps', async () => {
    const src = await sourceStore()
    const archive = join(tempDir('omega-arc-'), 'all.tar.gz')
    try {
      const report = await src.export(['models/*', 'data/**'], archive)
      expect(report).toMatchObject({ objects: 4, versions: 7 })
      const dst = await Omega.open({ store: `fs:${tempDir('omega-dst-')}`, runtime: 'inline' })
      try {
        const imported = await dst.import(archive)
        expect(imported.objects.find((o) => o.name === 'tree')!.versions).toEqual([1, 3])
        expect(await snapshot(dst)).toEqual(await snapshot(src))
        await rejectsWith(dst.models.get('tree@2'), 'E_NOT_FOUND')
        expect((await dst.models.revisions('tree')).map((r) => r.version)).toEqual([1, 3])
        expect((await dst.datasets.get('iris/train@gold')).toArray().map((r: { a: number }) => r.a)).toEqual([1, 2, 3, 4])
        const onnx = (await dst.models.get('iris-onnx@production')) as { predict(x: number[][]): Promise<unknown> }
        expect(onnx).toBeDefined()
        expect((await dst.fsck()).problems).toEqual([])
      } finally {
        await dst.close()
      }
    } finally {
      await src.close()
    }
  })

  it('a directory archive with versions: latest holds only the newest versions; promote adds them on top with promotedFrom', async () => {
    const src = await sourceStore()
    const dir = join(tempDir('omega-arc-'), 'latest')
    try {
      const report = await src.export('models/tree', dir, { versions: 'latest' })
      expect(report).toMatchObject({ objects: 1, versions: 1 })
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { objects: { versions: { version: number }[] }[]; blobs: { sha256: string; size: number }[] }
      expect(manifest.objects[0]!.versions.map((v) => v.version)).toEqual([3])
      await src.import(dir, { bucket: 'prod' })
      expect((await src.bucket('prod').models.revisions('tree')).map((r) => r.version)).toEqual([3])
      await rejectsWith(src.import(dir, { bucket: 'prod' }), 'E_CONFLICT')
      const again = await src.import(dir, { bucket: 'prod', promote: true })
      expect(again.objects[0]!.versions).toEqual([4])
      const meta = await src.bucket('prod').models.metadata('tree')
      expect(meta!.attributes.promotedFrom).toMatchObject({ bucket: 'default', name: 'tree', version: 3 })
      expect(meta!.sha256).toBe((await src.models.metadata('tree'))!.sha256)
      await rejectsWith(src.export('models/nothing-*', join(dir, '..', 'x')), 'E_NOT_FOUND')
      await rejectsWith(src.export('tree', join(dir, '..', 'y')), 'E_INVALID_ARGUMENT')
      await rejectsWith(src.export('models/tree', dir), 'E_CONFLICT')
    } finally {
      await src.close()
    }
  })

  it('a tampered blob, a truncated .tar.gz or an altered manifest is E_INTEGRITY and nothing is imported', async () => {
    const src = await sourceStore()
    const base = tempDir('omega-arc-')
    try {
      const dir = join(base, 'dir')
      await src.export(['models/*', 'data/**'], dir)
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { blobs: { sha256: string }[] }
      const victim = manifest.blobs.at(-1)!.sha256
      const file = join(dir, 'blobs', victim.slice(0, 2), victim)
      const bytes = await readFile(file)
      bytes[0] = bytes[0]! ^ 0xff
      await writeFile(file, bytes)
      const err = await rejectsWith(src.import(dir, { bucket: 'target' }), 'E_INTEGRITY')
      expect(err.message).toContain(victim)
      expect(await src.buckets()).toEqual(['default'])

      const tgz = join(base, 'a.tar.gz')
      await src.export('data/*', tgz)
      const { size } = await stat(tgz)
      await truncate(tgz, Math.floor(size / 2))
      await rejectsWith(src.import(tgz, { bucket: 'target' }), 'E_INTEGRITY')

      const edited = join(base, 'edited')
      await src.export('models/tree', edited)
      const m = JSON.parse(await readFile(join(edited, 'manifest.json'), 'utf8')) as { objects: { versions: { sha256: string }[] }[] }
      m.objects[0]!.versions[0]!.sha256 = '0'.repeat(64)
      await writeFile(join(edited, 'manifest.json'), JSON.stringify(m))
      await rejectsWith(src.import(edited, { bucket: 'target' }), 'E_INTEGRITY')
      await rejectsWith(src.import(join(base, 'missing')), 'E_NOT_FOUND')
      await rejectsWith(src.import(base), 'E_INVALID_ARGUMENT')
      expect(await src.buckets()).toEqual(['default'])
      expect(await readdir(base)).toEqual(expect.arrayContaining(['dir', 'edited', 'a.tar.gz']))
    } finally {
      await src.close()
    }
  })

  it('an import stopped after its first object drops what it published (all or nothing)', async () => {
    const src = await sourceStore()
    const dir = join(tempDir('omega-arc-'), 'dir')
    try {
      await src.export(['models/*', 'data/**'], dir)
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { blobs: { size: number }[] }
      const verified = manifest.blobs.reduce((n, b) => n + b.size, 0)
      const controller = new AbortController()
      const target = src.bucket('half')
      const stop = target.import(dir, {
        signal: controller.signal,
        // Progress counts verified blob bytes first, then published bytes: abort once something is published.
        onProgress: ({ bytes }) => {
          if (bytes > verified) controller.abort()
        },
      })
      await rejectsWith(stop, 'E_ABORTED')
      expect(await target.models.list()).toEqual([])
      expect(await target.datasets.list()).toEqual([])
      expect((await src.fsck()).problems.filter((p) => p.kind !== 'orphan')).toEqual([])
    } finally {
      await src.close()
    }
  })
})
