// Large blobs of a LevelDB store are files beside the database (level-blob-files.ts): written,
// read into a get's buffer, dropped and collected like chunked blobs; stores whose large blobs are
// chunks (written before, or with fileThreshold Infinity) read on; leftovers of killed writers are
// fsck's to report and repair.
import { existsSync, readdirSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Table, vectorFromArray } from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { Omega, OmegaError, sha256Hex } from '@omega/core'
import { rejectsWith, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'

const table = (n: number, from = 0): Table => new Table({ x: vectorFromArray(Float64Array.from({ length: n }, (_, i) => from + i * 0.5)) })

describe('level: large blobs as files', () => {
  it('a blob over the threshold is a file, a smaller one a LevelDB value; both read, verify and drop', async () => {
    const dir = tempDir('omega-level-files-')
    const backend = new LevelBackend(dir)
    const om = await Omega.open({ store: backend })
    try {
      const big = await om.datasets.put(new Uint8Array(3 * 1024 * 1024).fill(9), 'big')
      const small = await om.datasets.put(new Uint8Array(1000).fill(3), 'small')
      const file = backend.blobPath(big.sha256)
      expect(file !== undefined && existsSync(file)).toBe(true)
      expect(backend.blobPath(small.sha256)).toBeUndefined()
      expect(((await om.datasets.get('big')) as Uint8Array).every((b) => b === 9)).toBe(true)
      await om.datasets.put(table(400_000), 't')
      expect((await om.datasets.get<Table>('t')).getChild('x')!.get(399_999)).toBe(199_999.5)
      expect((await om.datasets.get<Table>('t[x]')).numRows).toBe(400_000)
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      await om.datasets.drop('big')
      expect(existsSync(file!)).toBe(false)
      await om.datasets.drop('t')
      expect(readdirSync(join(dir, 'blobs')).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(dir, 'blobs', d)))).toEqual([])
    } finally {
      await om.close()
    }
    // LevelDB leaves the blobs directory alone: the store opens again.
    const again = await Omega.open({ store: new LevelBackend(dir) })
    try {
      expect(((await again.datasets.get('small')) as Uint8Array).length).toBe(1000)
    } finally {
      await again.close()
    }
  })

  it('a store whose large blobs are chunks (fileThreshold Infinity, or written before) reads, appends and drops with files beside', async () => {
    const dir = tempDir('omega-level-files-')
    const old = await Omega.open({ store: new LevelBackend(dir, { fileThreshold: Infinity, chunkSize: 1024 * 1024 }) })
    await old.datasets.put(table(500_000), 't')
    expect(existsSync(join(dir, 'blobs'))).toBe(false)
    await old.close()
    const backend = new LevelBackend(dir)
    const om = await Omega.open({ store: backend })
    try {
      expect((await om.datasets.get<Table>('t')).numRows).toBe(500_000)
      await om.datasets.put(table(500_000, 1e6), 't', { append: true })
      const both = await om.datasets.get<Table>('t')
      expect(both.numRows).toBe(1_000_000)
      expect(both.getChild('x')!.get(999_999)).toBe(1e6 + 499_999 * 0.5)
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      await om.datasets.drop('t')
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      let blobs = 0
      for await (const _ of backend.blobs.list()) blobs++
      expect(blobs).toBe(0)
    } finally {
      await om.close()
    }
  })

  it('a temp file of a dead write and a file no header names are leftovers; fsck repair removes both', async () => {
    const dir = tempDir('omega-level-files-left-')
    const first = await Omega.open({ store: new LevelBackend(dir) })
    await first.datasets.put({ safe: true }, 'keep')
    await first.datasets.put(new Uint8Array(2 * 1024 * 1024).fill(2), 'file')
    await first.close()
    // A writer killed while writing a large blob (test/kill-mid-write kills a real one).
    await writeFile(join(dir, 'blobs', 'tmp', 'lxyz.0000-dead-write'), new Uint8Array(3 * 1024 * 1024))
    // And a file whose header never came (a writer killed between the rename and the header write).
    const orphan = new Uint8Array(2 * 1024 * 1024).fill(1)
    const sha = sha256Hex(orphan)
    await mkdir(join(dir, 'blobs', sha.slice(0, 2)), { recursive: true })
    await writeFile(join(dir, 'blobs', sha.slice(0, 2), sha), orphan)
    const om = await Omega.open({ store: new LevelBackend(dir) })
    try {
      expect(await om.datasets.get('keep')).toEqual({ safe: true })
      const found = (await om.fsck({ graceMs: 0 })).problems.map((p) => `${p.kind} ${p.key.split(':')[0]}`).sort()
      expect(found).toEqual(['stale-temp file', 'stale-temp temp'])
      await om.fsck({ graceMs: 0, repair: true })
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([])
      expect(((await om.datasets.get('file')) as Uint8Array).every((b) => b === 2)).toBe(true)
      // The bytes of the orphan can be stored again, and read.
      await om.datasets.put(orphan, 'again')
      expect(((await om.datasets.get('again')) as Uint8Array).length).toBe(orphan.length)
    } finally {
      await om.close()
    }
  })

  it('a file tampered with is E_INTEGRITY on get; a bad fileThreshold or chunkSize is E_INVALID_ARGUMENT', async () => {
    const dir = tempDir('omega-level-files-')
    const backend = new LevelBackend(dir)
    const om = await Omega.open({ store: backend })
    try {
      const meta = await om.datasets.put(new Uint8Array(2 * 1024 * 1024).fill(5), 'f')
      const bytes = new Uint8Array(2 * 1024 * 1024).fill(5)
      bytes[1_500_000] = 4
      await writeFile(backend.blobPath(meta.sha256)!, bytes)
      const err = await rejectsWith(om.datasets.get('f'), 'E_INTEGRITY')
      expect(OmegaError.is(err)).toBe(true)
    } finally {
      await om.close()
    }
    const refused = (options: ConstructorParameters<typeof LevelBackend>[1]): unknown => {
      try {
        new LevelBackend(tempDir('omega-level-files-'), options)
      } catch (err) {
        return err
      }
      return undefined
    }
    for (const options of [{ chunkSize: 1024, fileThreshold: 4096 }, { fileThreshold: -1 }, { fileThreshold: 1.5 }, { chunkSize: 0 }]) {
      const err = refused(options)
      expect(OmegaError.is(err, 'E_INVALID_ARGUMENT'), JSON.stringify(options)).toBe(true)
      expect((err as Error).message).toMatch(/level\.(fileThreshold|chunkSize)/)
    }
    // Through Omega.open, as a user gives the option: the same error.
    const plugins = [new URL('../dist/index.js', import.meta.url).href]
    await rejectsWith(Omega.open({ plugins, store: `level:${tempDir('omega-level-files-')}`, level: { fileThreshold: 1e12 } }), 'E_INVALID_ARGUMENT')
  })
})
