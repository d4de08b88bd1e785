import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { Omega, OmegaError, defaultStoreUrl } from '@omega/omega'
import { rejectsWith, tempDir } from '@omega/conformance'
import { describe, expect, it } from 'vitest'

describe('@omega/omega', () => {
  it('Omega.open() with no options uses LevelDB at $OMEGA_HOME', async () => {
    const home = tempDir('omega-home-')
    const before = process.env.OMEGA_HOME
    process.env.OMEGA_HOME = home
    try {
      const om = await Omega.open()
      try {
        expect(om.location).toBe(home)
        expect(om.bucketName).toBe('default')
        await om.datasets.put({ hello: 'world' }, 'greeting')
        await rejectsWith(Omega.open(), 'E_LOCKED')
      } finally {
        await om.close()
      }
      const again = await Omega.open()
      expect(await again.datasets.get('greeting')).toEqual({ hello: 'world' })
      await again.close()
    } finally {
      if (before === undefined) delete process.env.OMEGA_HOME
      else process.env.OMEGA_HOME = before
    }
  })

  it('without $OMEGA_HOME the store is ./.omega in the working directory', () => {
    expect(defaultStoreUrl({})).toBe(`level:${join(process.cwd(), '.omega')}`)
    const cwd = tempDir('omega-cwd-')
    const entry = new URL('../dist/index.js', import.meta.url).href
    const script = `import { Omega } from '${entry}'; const om = await Omega.open(); console.log(om.location); await om.close()`
    const env = { ...process.env }
    delete env.OMEGA_HOME
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd,
      env,
      encoding: 'utf8',
    })
    expect(String(out).trim()).toBe(join(cwd, '.omega'))
  })

  it('opens fs: and memory: URLs; unknown schemes list what is registered', async () => {
    const fs = await Omega.open({ store: `fs:${tempDir('omega-fs-url-')}` })
    expect(fs.location).toContain('omega-fs-url-')
    await fs.close()
    const mem = await Omega.open({ store: 'memory:' })
    await mem.close()
    const err = await rejectsWith(Omega.open({ store: 'redis://localhost' }), 'E_UNSUPPORTED')
    expect(err.message).toMatch(/level, fs|fs, level/)
    await rejectsWith(Omega.open({ store: 'no-scheme-here' }), 'E_INVALID_ARGUMENT')
    expect(OmegaError.is(err)).toBe(true)
  })

  it('a plugin registers a user estimator and a backend scheme; user registrations outrank built-ins', async () => {
    const plugin = new URL('./fixtures/user-plugin.js', import.meta.url).href
    const om = await Omega.open({ store: 'mystore:', plugins: [plugin] })
    try {
      expect(om.plugins).toContain(plugin)
      const { Doubler } = (await import(plugin)) as { Doubler: new () => { predict(x: number[][]): number[] } }
      const meta = await om.models.put(new Doubler(), 'twice')
      expect(meta.kind).toBe('estimator.Doubler')
      const back = (await om.models.get('twice')) as { predict(x: number[][]): number[] }
      expect(back.predict([[2], [5]])).toEqual([4, 10])
    } finally {
      await om.close()
    }
  })

  it('a plugin that cannot be imported or has no default function is E_INVALID_ARGUMENT', async () => {
    await rejectsWith(Omega.open({ store: 'memory:', plugins: ['./does-not-exist.js'] }), 'E_INVALID_ARGUMENT')
    await rejectsWith(Omega.open({ store: 'memory:', plugins: ['data:text/javascript,export const x = 1'] }), 'E_INVALID_ARGUMENT')
  })
})
