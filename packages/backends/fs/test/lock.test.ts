import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { OmegaError } from '@omega/core'
import { rejectsWith, tempDir } from '@omega/conformance'
import { FsBackend } from '@omega/fs'
import { describe, expect, it } from 'vitest'
import {
  assessLock,
  breakStaleLock,
  observeLock,
  selfIdentity,
  withFileLock,
  type LockOwner,
} from '../dist/fs-lock.js'

const lockUrl = new URL('../dist/fs-lock.js', import.meta.url).href

/** A child process that takes the lock of `path` (or opens `script`), prints READY and waits to be killed. */
function holder(path: string): Promise<ChildProcess> {
  const script = `
    import { withFileLock } from ${JSON.stringify(lockUrl)}
    await withFileLock(process.argv[1], () => { console.log('READY'); return new Promise(() => setInterval(() => {}, 1000)) })
  `
  return ready(spawn(process.execPath, ['--input-type=module', '-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] }))
}

function ready(child: ChildProcess): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('READY')) resolve(child)
    })
    child.once('exit', (code) => reject(new Error(`holder exited (${code}) before taking the lock: ${out}`)))
  })
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

function ownerOf(pid: number, extra: Partial<LockOwner> = {}): LockOwner {
  const self = selfIdentity()
  return { ...self, pid, thread: 0, token: `t${Math.random().toString(36).slice(2)}`, since: new Date().toISOString(), ...extra }
}

describe('fs document locks', () => {
  it('a writer killed while holding a document lock does not block the next writer', async () => {
    const dir = tempDir('omega-fslock-')
    const backend = new FsBackend(dir, { fsync: false })
    await backend.open()
    const rev = await backend.meta.put('b/doc', { n: 1 }, { ifRevision: null })
    const docPath = join(dir, 'meta', 'b', 'doc.json')
    const child = await holder(docPath)
    await kill(child)
    expect(existsSync(`${docPath}.lock`)).toBe(true)
    const started = Date.now()
    await backend.meta.put('b/doc', { n: 2 }, { ifRevision: rev })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect((await backend.meta.get('b/doc'))?.doc).toEqual({ n: 2 })
    expect((await readdir(join(dir, 'meta', 'b'))).sort()).toEqual(['doc.json'])
  })

  it('a live holder is never broken, however old its lock, and E_LOCKED names its pid and host', async () => {
    const dir = tempDir('omega-fslock-')
    const path = join(dir, 'doc.json')
    const child = await holder(path)
    try {
      const old = new Date(Date.now() - 3_600_000)
      await utimes(`${path}.lock`, old, old)
      const seen = await observeLock(`${path}.lock`)
      expect(seen?.owner?.pid).toBe(child.pid)
      expect((await assessLock(seen!, { waitMs: 100, refreshMs: 10, leaseMs: 10 })).stale).toBe(false)
      const err = await rejectsWith(
        withFileLock(path, async () => 'entered', { timings: { waitMs: 300, leaseMs: 10 } }),
        'E_LOCKED',
      )
      expect(err.message).toContain(`process ${child.pid} on host ${selfIdentity().host}`)
      expect(err.details).toMatchObject({ pid: child.pid, host: selfIdentity().host })
      expect(existsSync(`${path}.lock`)).toBe(true)
    } finally {
      await kill(child)
    }
    expect(await withFileLock(path, async () => 'after')).toBe('after')
  })

  it('a lock whose pid was reused by another process (other start time) is stale', async () => {
    const dir = tempDir('omega-fslock-')
    const lock = join(dir, 'doc.json.lock')
    await writeFile(lock, JSON.stringify(ownerOf(process.ppid, { start: '1' })))
    const seen = await observeLock(lock)
    const verdict = await assessLock(seen!)
    expect(verdict).toMatchObject({ stale: selfIdentity().start !== undefined })
  })

  it('locks of another host are a lease: kept while refreshed, broken once expired', async () => {
    const dir = tempDir('omega-fslock-')
    const lock = join(dir, 'doc.json.lock')
    await writeFile(lock, JSON.stringify(ownerOf(1, { host: 'elsewhere.example' })))
    const t = { waitMs: 200, refreshMs: 10, leaseMs: 1_000 }
    expect((await assessLock((await observeLock(lock))!, t)).stale).toBe(false)
    await rejectsWith(withFileLock(join(dir, 'doc.json'), async () => 1, { timings: t }), 'E_LOCKED')
    const old = new Date(Date.now() - 5_000)
    await utimes(lock, old, old)
    expect(await withFileLock(join(dir, 'doc.json'), async () => 2, { timings: t })).toBe(2)
  })

  it('a lock file naming nobody (written by hand or by an older release) is a lease', async () => {
    const dir = tempDir('omega-fslock-')
    const lock = join(dir, 'doc.json.lock')
    await writeFile(lock, '')
    const t = { waitMs: 200, refreshMs: 10, leaseMs: 1_000 }
    expect(await assessLock((await observeLock(lock))!, t)).toMatchObject({ stale: false })
    await rejectsWith(withFileLock(join(dir, 'doc.json'), async () => 1, { timings: t }), 'E_LOCKED')
    const old = new Date(Date.now() - 5_000)
    await utimes(lock, old, old)
    expect(await withFileLock(join(dir, 'doc.json'), async () => 2, { timings: t })).toBe(2)
    expect(existsSync(lock)).toBe(false)
  })

  it('a taken lock names its owner from the moment another caller can see it', async () => {
    const dir = tempDir('omega-fslock-')
    const path = join(dir, 'doc.json')
    await withFileLock(path, async () => {
      const seen = await observeLock(`${path}.lock`)
      expect(seen?.owner).toMatchObject({ pid: process.pid, host: selfIdentity().host })
    })
    expect(existsSync(`${path}.lock`)).toBe(false)
  })

  it('a holder keeps its lease fresh while it holds the lock', async () => {
    const dir = tempDir('omega-fslock-')
    const path = join(dir, 'doc.json')
    await withFileLock(
      path,
      async () => {
        const old = new Date(Date.now() - 60_000)
        await utimes(`${path}.lock`, old, old)
        await new Promise((r) => setTimeout(r, 200))
        expect((await observeLock(`${path}.lock`))!.mtimeMs).toBeGreaterThan(Date.now() - 5_000)
      },
      { timings: { refreshMs: 20 } },
    )
  })

  it('many concurrent breakers of one stale lock: exactly one removes it, and none removes the live lock taken after', async () => {
    const dir = tempDir('omega-fslock-')
    const lock = join(dir, 'doc.json.lock')
    await writeFile(lock, JSON.stringify(ownerOf(await deadPid())))
    const seen = (await observeLock(lock))!
    expect((await assessLock(seen)).stale).toBe(true)
    const results = await Promise.all(Array.from({ length: 20 }, () => breakStaleLock(lock, seen)))
    expect(results.filter(Boolean)).toHaveLength(1)
    // Late breakers acting on the same stale observation while a live writer holds the lock.
    await withFileLock(join(dir, 'doc.json'), async () => {
      const live = await readFile(lock, 'utf8')
      const late = await Promise.all(Array.from({ length: 20 }, () => breakStaleLock(lock, seen)))
      expect(late.some(Boolean)).toBe(false)
      expect(await readFile(lock, 'utf8')).toBe(live)
    })
    expect(await readdir(dir)).toEqual([])
  })

  it('a guard left by a breaker that died is skipped', async () => {
    const dir = tempDir('omega-fslock-')
    const lock = join(dir, 'doc.json.lock')
    await writeFile(lock, JSON.stringify(ownerOf(await deadPid())))
    const seen = (await observeLock(lock))!
    const { createHash } = await import('node:crypto')
    const id = createHash('sha256').update(seen.identity).digest('hex').slice(0, 16)
    await writeFile(`${lock}.break-${id}-0`, JSON.stringify(ownerOf(await deadPid())))
    expect(await breakStaleLock(lock, seen)).toBe(true)
    expect(await readdir(dir)).toEqual([])
  })

  it('processes and async callers contending for a stale lock never overlap', async () => {
    const dir = tempDir('omega-fslock-')
    const path = join(dir, 'doc.json')
    await mkdir(dir, { recursive: true })
    await writeFile(`${path}.lock`, JSON.stringify(ownerOf(await deadPid())))
    const counter = join(dir, 'counter')
    await writeFile(counter, '0')
    // Each critical section reads, waits, writes: any overlap loses an increment.
    const script = `
      import { readFile, writeFile } from 'node:fs/promises'
      import { withFileLock } from ${JSON.stringify(lockUrl)}
      const [path, counter] = process.argv.slice(1)
      await Promise.all(Array.from({ length: 5 }, async () => {
        for (let i = 0; i < 10; i++) await withFileLock(path, async () => {
          const n = Number(await readFile(counter, 'utf8'))
          await new Promise((r) => setTimeout(r, 1))
          await writeFile(counter, String(n + 1))
        })
      }))
    `
    const run = (): Promise<number | null> =>
      new Promise((resolve) =>
        spawn(process.execPath, ['--input-type=module', '-e', script, path, counter], { stdio: 'inherit' }).once('exit', resolve),
      )
    expect(await Promise.all([run(), run(), run()])).toEqual([0, 0, 0])
    expect(Number(await readFile(counter, 'utf8'))).toBe(150)
    expect(await readdir(dir)).toEqual(['counter'])
  })

  it('old-format locks (a bare pid) of a dead process are broken', async () => {
    const dir = tempDir('omega-fslock-')
    const path = join(dir, 'doc.json')
    await writeFile(`${path}.lock`, String(await deadPid()))
    expect(await withFileLock(path, async () => 'ok', { timings: { waitMs: 500 } })).toBe('ok')
  })

  it('E_LOCKED is an OmegaError marked transient', async () => {
    const dir = tempDir('omega-fslock-')
    const path = join(dir, 'doc.json')
    await withFileLock(path, async () => {
      const err = await rejectsWith(withFileLock(path, async () => 1, { timings: { waitMs: 50 } }), 'E_LOCKED')
      expect(OmegaError.is(err) && err.transient).toBe(true)
      expect(err.message).toContain(`process ${process.pid}`)
    })
  })

  it('fsck reports the lock of a killed writer and a dead breaker\'s guard as stale-temp, repair removes them, a live lock stays', async () => {
    const dir = tempDir('omega-fslock-')
    const { Omega } = await import('@omega/core')
    const fsPlugin = new URL('../dist/index.js', import.meta.url).href
    const om = await Omega.open({ store: `fs:${dir}`, plugins: [fsPlugin], fs: { fsync: false } })
    try {
      await om.datasets.put({ a: 1 }, 'held', { kind: 'json' })
      await om.datasets.put({ b: 2 }, 'live', { kind: 'json' })
      const metaFiles = (await readdir(join(dir, 'meta'), { recursive: true })).filter((f) => f.endsWith('.json'))
      // Version 1 of each dataset (SPEC §8): `<name>/@0000000001.json`.
      const heldDoc = join(dir, 'meta', metaFiles.find((f) => f.endsWith('held/@0000000001.json'))!)
      const liveDoc = join(dir, 'meta', metaFiles.find((f) => f.endsWith('live/@0000000001.json'))!)
      await kill(await holder(heldDoc))
      // A breaker that died after removing the lock it guarded left its guard.
      await writeFile(`${heldDoc}.lock.break-0123456789abcdef-0`, JSON.stringify(ownerOf(await deadPid())))
      const live = await holder(liveDoc)
      try {
        const report = await om.fsck({ graceMs: 0 })
        const stale = report.problems.filter((p) => p.kind === 'stale-temp').map((p) => [p.key, p.detail])
        expect(stale).toEqual([
          [expect.stringMatching(/held\/@0000000001\.json\.lock$/), expect.stringMatching(/owner is gone \(process \d+ is gone\)/)],
          [expect.stringMatching(/held\/@0000000001\.json\.lock\.break-0123456789abcdef-0$/), expect.stringContaining('breaker that died')],
        ])
        await om.fsck({ repair: true, graceMs: 0 })
        expect(existsSync(`${heldDoc}.lock`)).toBe(false)
        expect(existsSync(`${heldDoc}.lock.break-0123456789abcdef-0`)).toBe(false)
        expect(existsSync(`${liveDoc}.lock`), 'a live writer keeps its lock').toBe(true)
        expect((await om.fsck({ repair: true, graceMs: 0 })).problems).toEqual([])
      } finally {
        await kill(live)
      }
    } finally {
      await om.close()
    }
  })
})
