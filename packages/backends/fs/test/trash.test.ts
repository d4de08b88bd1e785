// Removed documents and blobs are renamed into tmp/ at once and unlinked in the background
// (fs-trash.ts): nothing of them is visible after the call, nothing is left after close, and what a
// killed process left in the trash is removed at the next open without touching live objects.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Omega } from '@omega/core'
import { tempDir } from '@omega/conformance'
import { FsBackend } from '@omega/fs'
import { describe, expect, it } from 'vitest'

const trashIn = (dir: string): string[] => readdirSync(join(dir, 'tmp')).filter((f) => f.endsWith('.trash'))

describe('fs trash', () => {
  it('a drop removes the document and the blob from their paths before it returns; close leaves no trash', async () => {
    const dir = tempDir('omega-fs-trash-')
    const backend = new FsBackend(dir)
    const om = await Omega.open({ store: backend })
    const meta = await om.datasets.put(new Uint8Array(50_000).fill(7), 'bytes')
    const doc = backend.docPath('default/data/bytes/@0000000001')
    const blob = backend.blobPath(meta.sha256)
    expect(existsSync(doc) && existsSync(blob)).toBe(true)
    await om.datasets.drop('bytes')
    expect(existsSync(doc)).toBe(false)
    expect(existsSync(blob)).toBe(false)
    await om.datasets.put({ v: 1 }, 'replaced')
    await om.datasets.put({ v: 2 }, 'replaced')
    await om.datasets.drop('replaced@1')
    await om.close()
    expect(trashIn(dir)).toEqual([])
    const again = await Omega.open({ store: new FsBackend(dir) })
    try {
      expect(await again.datasets.get('replaced')).toEqual({ v: 2 })
      expect((await again.fsck({ graceMs: 0 })).problems).toEqual([])
    } finally {
      await again.close()
    }
  })

  it('open removes trash of any age, and keeps a young temp file (a write in progress elsewhere)', async () => {
    const dir = tempDir('omega-fs-trash-')
    const om = await Omega.open({ store: new FsBackend(dir) })
    await om.datasets.put({ keep: true }, 'kept')
    await om.close()
    await writeFile(join(dir, 'tmp', 'left-by-a-dead-process.trash'), new Uint8Array(10))
    await writeFile(join(dir, 'tmp', 'old.trash'), new Uint8Array(10))
    const old = new Date(Date.now() - 86_400_000)
    await utimes(join(dir, 'tmp', 'old.trash'), old, old)
    await writeFile(join(dir, 'tmp', 'write-in-progress'), new Uint8Array(10))
    const reopened = await Omega.open({ store: new FsBackend(dir) })
    try {
      expect(trashIn(dir)).toEqual([])
      expect(existsSync(join(dir, 'tmp', 'write-in-progress'))).toBe(true)
      expect(await reopened.datasets.get('kept')).toEqual({ keep: true })
    } finally {
      await reopened.close()
    }
  })

  it('a process killed during a glob drop leaves every remaining object whole; reopen and fsck repair leave a clean store', async () => {
    const dir = tempDir('omega-fs-trash-kill-')
    const filler = await Omega.open({ store: new FsBackend(dir, { fsync: false }) })
    for (let i = 0; i < 400; i++) await filler.datasets.put({ i, pad: 'x'.repeat(3000) }, `victims/${i}`)
    await filler.datasets.put({ safe: true }, 'keep')
    await filler.close()
    const omegaCore = new URL('../../../core/dist/index.js', import.meta.url).href
    const fsEntry = new URL('../dist/index.js', import.meta.url).href
    const dropper = `
      import { Omega } from ${JSON.stringify(omegaCore)}
      import { FsBackend } from ${JSON.stringify(fsEntry)}
      const om = await Omega.open({ store: new FsBackend(process.argv[1]) })
      await om.datasets.drop('victims/*')
    `
    const first = new FsBackend(dir).docPath('default/data/victims/0/@0000000001')
    const child = spawn(process.execPath, ['--input-type=module', '-e', dropper, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    // Killed as soon as the first object is gone: the drops running beside it are half done.
    while (existsSync(first) && child.exitCode === null) await new Promise((r) => setImmediate(r))
    child.kill('SIGKILL')
    await exited
    const om = await Omega.open({ store: new FsBackend(dir) })
    try {
      expect(trashIn(dir)).toEqual([])
      const left = await om.datasets.list('victims/*')
      expect(left.length).toBeGreaterThan(0)
      expect(left.length).toBeLessThan(400)
      for (const name of left) expect(((await om.datasets.get(name)) as { i: number }).i).toBe(Number(name.split('/')[1]))
      expect(await om.datasets.get('keep')).toEqual({ safe: true })
      await om.fsck({ repair: true, graceMs: 0 })
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      await om.datasets.drop('victims/*', { force: true })
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
    } finally {
      await om.close()
    }
  })
})
