// Issue 10, item 1: blob collection must be correct across processes. Two processes (fs) or many
// async callers (LevelDB, one opener) loop put(identical bytes, own name) → get → drop; every
// committed put must read back (the old per-process GC lock lost 429 of 4,331).
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Omega } from '@omega/omega'
import { tempDir } from '@omega/conformance'

const omegaEntry = new URL('../packages/omega/dist/index.js', import.meta.url).href

/** The loop each worker runs; prints `{ ok, failed, first }`. */
const loop = `
  export async function hammer(om, who, ms) {
    const bytes = new Uint8Array(32 * 1024).map((_, i) => (i * 31) % 251)
    let ok = 0, failed = 0, first
    const until = Date.now() + ms
    for (let i = 0; Date.now() < until; i++) {
      const name = who + '-' + (i % 7)
      await om.datasets.put(bytes, name)
      try {
        const back = await om.datasets.get(name)
        if (Buffer.compare(Buffer.from(back), Buffer.from(bytes)) !== 0) throw new Error('bytes differ')
        ok++
      } catch (err) {
        failed++
        first ??= String(err.message)
      }
      await om.datasets.drop(name)
    }
    return { ok, failed, first }
  }
`

function runWorker(store: string, who: string, ms: number): Promise<{ ok: number; failed: number; first?: string }> {
  const script = `
    import { Omega } from ${JSON.stringify(omegaEntry)}
    const { hammer } = await import('data:text/javascript,' + encodeURIComponent(${JSON.stringify(loop)}))
    const om = await Omega.open({ store: process.argv[1], fs: { fsync: false } })
    console.log(JSON.stringify(await hammer(om, process.argv[2], Number(process.argv[3]))))
    await om.close()
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, store, who, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { ok: number; failed: number }) : reject(new Error(`worker ${who} exited with ${code}`))))
  })
}

describe('blob collection across writers', () => {
  it('two processes on one fs store: put identical bytes → get → drop never loses a committed object', async () => {
    const dir = tempDir('omega-gc-2proc-')
    const store = `fs:${dir}`
    const [a, b] = await Promise.all([runWorker(store, 'a', 6000), runWorker(store, 'b', 6000)])
    expect(a!.failed, a!.first).toBe(0)
    expect(b!.failed, b!.first).toBe(0)
    expect(a!.ok + b!.ok).toBeGreaterThan(50)
    const om = await Omega.open({ store })
    try {
      // Every object was dropped, so no bytes may be left behind.
      const report = await om.fsck({ graceMs: 0 })
      expect(report.problems).toEqual([])
      const left = (await readdir(join(dir, 'blobs'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
      expect(left.map((e) => e.name)).toEqual([])
    } finally {
      await om.close()
    }
  }, 60_000)

  it('LevelDB: concurrent async callers in one process never lose a committed object', async () => {
    const om = await Omega.open({ store: `level:${tempDir('omega-gc-level-')}` })
    try {
      const { hammer } = (await import(`data:text/javascript,${encodeURIComponent(loop)}`)) as {
        hammer(om: Omega, who: string, ms: number): Promise<{ ok: number; failed: number; first?: string }>
      }
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((who) => hammer(om, who, 3000)))
      for (const r of results) expect(r.failed, r.first).toBe(0)
      expect((await om.fsck({ graceMs: 0 })).problems).toEqual([])
    } finally {
      await om.close()
    }
  }, 30_000)
})
