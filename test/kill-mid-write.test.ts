// A process killed (SIGKILL) in the middle of a large put leaves the store consistent: the object
// being written is not visible, earlier objects are intact, and the store opens again.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '@omega/conformance'

const omegaEntry = new URL('../packages/omega/dist/index.js', import.meta.url).href

const writer = `
  import { Readable } from 'node:stream'
  import { Omega } from ${JSON.stringify(omegaEntry)}
  const om = await Omega.open({ store: process.argv[1] })
  await om.datasets.put({ safe: true }, 'keep')
  async function* endless() {
    for (let i = 0; ; i++) {
      // Past the first 4 MiB, which LevelDB holds in memory before it writes a large blob's file.
      if (i === 8) console.log('WRITING')
      yield new Uint8Array(1024 * 1024).fill(i % 256)
      await new Promise((r) => setTimeout(r, 5))
    }
  }
  await om.datasets.put(Readable.from(endless()), 'big')
`

async function killMidWrite(store: string): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', writer, store], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('WRITING')) {
        child.kill('SIGKILL')
        resolve()
      }
    })
    child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)))
  })
  await new Promise((r) => child.once('exit', r))
}

describe('a process killed mid-write', () => {
  it.each(['level', 'fs'])('leaves a %s store consistent and openable', async (scheme) => {
    const store = `${scheme}:${tempDir(`omega-kill-${scheme}-`)}`
    await killMidWrite(store)
    const { Omega } = (await import(omegaEntry)) as typeof import('@omega/omega')
    const om = await Omega.open({ store })
    try {
      expect(await om.datasets.get('keep')).toEqual({ safe: true })
      expect(await om.datasets.exists('big')).toBe(false)
      expect(await om.datasets.list(undefined, { hidden: true, includeTemp: true })).toEqual(['keep'])
      // What the killed write left (an fs temp file; a LevelDB blob's temp file beside the database)
      // is a leftover fsck reports, and its repair removes.
      expect((await om.fsck({ graceMs: 0 })).problems.map((p) => p.kind)).toContain('stale-temp')
      await om.fsck({ graceMs: 0, repair: true })
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
      await om.datasets.put(Uint8Array.of(1, 2, 3), 'big')
      expect(Array.from((await om.datasets.get('big')) as Uint8Array)).toEqual([1, 2, 3])
    } finally {
      await om.close()
    }
  })
})
