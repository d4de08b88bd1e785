import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Omega } from '@omega/core'
import { rejectsWith, tempDir } from '@omega/conformance'
import levelPlugin, { LevelBackend } from '@omega/level'
import { describe, expect, it } from 'vitest'

const levelUrl = new URL('../dist/index.js', import.meta.url).href

describe('level locking', () => {
  it('a second process opening a store in use gets E_LOCKED with the directory and what to do', async () => {
    const dir = tempDir('omega-lock-')
    const om = await Omega.open({ store: new LevelBackend(dir) })
    try {
      const script = `
        import { Omega } from ${JSON.stringify(new URL('../../../core/dist/index.js', import.meta.url).href)}
        const om = await Omega.open({ store: 'level:' + process.argv[1], plugins: [${JSON.stringify(levelUrl)}] })
          .then(() => console.log('OPENED'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))
      `
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir], { encoding: 'utf8' })
      const out = JSON.parse(child.stdout.trim()) as { code: string; message: string }
      expect(out.code).toBe('E_LOCKED')
      expect(out.message).toContain(dir)
      expect(out.message).toContain('OMEGA_HOME')
    } finally {
      await om.close()
    }
    const again = await Omega.open({ store: new LevelBackend(dir) })
    await again.close()
  })

  it('the same process opening it twice gets E_LOCKED too, and the level plugin resolves level: URLs', async () => {
    const dir = tempDir('omega-lock-')
    const om = await Omega.open({ store: `level:${dir}`, plugins: [fileURLToPath(levelUrl)] })
    try {
      expect(om.location).toBe(dir)
      await rejectsWith(Omega.open({ store: new LevelBackend(dir) }), 'E_LOCKED')
      expect(typeof levelPlugin).toBe('function')
    } finally {
      await om.close()
    }
  })

  it('a process killed while it holds the store open does not leave it locked: LevelDB LOCK is released by the OS', async () => {
    const dir = tempDir('omega-lock-')
    const script = `
      import { Omega } from ${JSON.stringify(new URL('../../../core/dist/index.js', import.meta.url).href)}
      const om = await Omega.open({ store: 'level:' + process.argv[1], plugins: [${JSON.stringify(levelUrl)}] })
      await om.datasets.put({ a: 1 }, 'x', { kind: 'json' })
      console.log('READY')
      setInterval(() => om.datasets.put({ a: 2 }, 'x', { kind: 'json' }), 1)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('READY') && resolve())
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
    })
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await exited
    const started = Date.now()
    const om = await Omega.open({ store: new LevelBackend(dir) })
    try {
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(await om.datasets.get('x')).toMatchObject({ a: expect.any(Number) })
    } finally {
      await om.close()
    }
  })
})
