// On backends with `supports.exclusiveDelete` (fs, LevelDB) a drop releases a blob's last holder
// in one step: its bytes are deleted under the reference record's write exclusion. A put of the
// same bytes racing that deletion must still end with readable bytes: its pin waits for the
// exclusion, finds the record gone, creates a new one and (has → missing) writes the bytes again.
import { describe, expect, it } from 'vitest'
import { tempDir } from '@omega/conformance'
import { Omega, type StorageBackend } from '@omega/core'
import { FsBackend } from '@omega/fs'
import { LevelBackend } from '@omega/level'

const backends: [string, () => StorageBackend][] = [
  ['fs', () => new FsBackend(tempDir('omega-excl-fs-'))],
  ['level', () => new LevelBackend(tempDir('omega-excl-level-'))],
]

describe.each(backends)('one-step blob release (%s)', (_name, make) => {
  it('the backend declares it', () => {
    expect(make().supports.exclusiveDelete).toBe(true)
  })

  it('a put of the same bytes racing the deletion of their last holder keeps its bytes; fsck is clean', async () => {
    const backend = make()
    const om = await Omega.open({ store: backend })
    try {
      const bytes = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 31) % 256)
      for (let round = 0; round < 5; round++) {
        await om.datasets.put(bytes, 'a')
        // Hold the byte deletion open until the racing put has started its pin.
        const original = backend.blobs.delete.bind(backend.blobs)
        let started!: () => void
        const deleting = new Promise<void>((resolve) => (started = resolve))
        backend.blobs.delete = async (sha256: string): Promise<void> => {
          started()
          await new Promise((r) => setTimeout(r, 30))
          await original(sha256)
        }
        const drop = om.datasets.drop('a')
        await deleting
        backend.blobs.delete = original
        const put = om.datasets.put(bytes, 'b')
        await Promise.all([drop, put])
        expect(Buffer.from((await om.datasets.get('b')) as Uint8Array)).toEqual(Buffer.from(bytes))
        expect(await backend.blobs.has((await om.datasets.metadata('b')).sha256)).toBe(true)
        await om.datasets.drop('b')
      }
      const report = await om.fsck({ graceMs: 0 })
      expect(report.problems).toEqual([])
      expect(await om.datasets.list()).toEqual([])
    } finally {
      await om.close()
    }
  })

  it('a glob drop removes every object, its bytes and reference records, and keeps shared bytes', async () => {
    const backend = make()
    const om = await Omega.open({ store: backend })
    try {
      const shared = Uint8Array.from({ length: 3000 }, (_, i) => i % 13)
      for (let i = 0; i < 40; i++) await om.datasets.put(i % 4 === 0 ? shared : { i }, `v/${i}`)
      await om.datasets.put(shared, 'keep')
      await om.datasets.drop('v/*')
      expect(await om.datasets.list()).toEqual(['keep'])
      expect(Buffer.from((await om.datasets.get('keep')) as Uint8Array)).toEqual(Buffer.from(shared))
      const blobs: string[] = []
      for await (const b of backend.blobs.list()) blobs.push(b.sha256)
      expect(blobs).toEqual([(await om.datasets.metadata('keep')).sha256])
      const records: string[] = []
      // Reference records are #blobs/<ab>/<sha256>; LevelDB also keeps a document per holder below its record.
      for await (const d of backend.meta.list('#blobs/')) if (d.key.split('/').length === 3) records.push(d.key)
      expect(records).toHaveLength(1)
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
    } finally {
      await om.close()
    }
  })
})
