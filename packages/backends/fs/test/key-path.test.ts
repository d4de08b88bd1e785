import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { tempDir } from '@omega/conformance'
import { FsBackend, decodeSegment, encodeSegment } from '@omega/fs'
import { describe, expect, it } from 'vitest'
import { MAX_PLAIN_PATH, encodeKey, encodePlainKey } from '../dist/key-path.js'

const cjk = (n: number): string => '日'.repeat(n)
/** A key whose plain layout is about 4,200 bytes: ENAMETOOLONG (PATH_MAX) before the collapsed layout. */
const LONG_KEY = `default/data/${Array.from({ length: 24 }, () => cjk(20)).join('/').slice(0, 499)}`

async function list(backend: FsBackend, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const d of backend.meta.list(prefix)) keys.push(d.key)
  return keys
}

describe('fs key layout', () => {
  it('keys that fit keep the plain layout, byte for byte as earlier stores wrote it', () => {
    expect(encodeKey('default/data/team/iris')).toEqual(['default', 'data', 'team', 'iris'])
    expect(encodeKey('default/models/é x/@0000000001')).toEqual(['default', 'models', '%C3%A9%20x', '@0000000001'])
    const long = encodeSegment(cjk(60))
    expect(long).toMatch(/^(%[0-9A-F]{2})+~[0-9a-f]{32}$/)
    expect(long.length).toBeLessThanOrEqual(180)
    expect(encodeKey(`b/data/${cjk(60)}/x`)).toEqual(['b', 'data', long, 'x'])
    for (const key of ['a/b', `b/data/${cjk(499)}`, `b/data/${Array.from({ length: 5 }, () => cjk(20)).join('/')}`]) {
      expect(encodeKey(key)).toEqual(encodePlainKey(key))
    }
  })

  it('longer keys collapse into a bounded, collision-free path', () => {
    const plain = encodePlainKey(LONG_KEY)
    expect(plain.join('/').length).toBeGreaterThan(4096)
    const collapsed = encodeKey(LONG_KEY)
    expect(collapsed.join('/').length).toBeLessThan(MAX_PLAIN_PATH)
    for (const c of collapsed) expect(c.length).toBeLessThanOrEqual(180)
    expect(collapsed.at(-1)).toContain('~')
    const variants = [LONG_KEY, `${LONG_KEY.slice(0, -1)}本`, LONG_KEY.replace(cjk(20), cjk(19) + '本'), `${LONG_KEY}/@0000000001`, `${LONG_KEY}/#tags`]
    const paths = new Set(variants.map((k) => encodeKey(k).join('/')))
    expect(paths.size).toBe(variants.length)
  })

  it('a hashed segment decodes to a clean known prefix', () => {
    const seg = decodeSegment(encodeSegment(cjk(60)))
    expect(seg.complete).toBe(false)
    expect(cjk(60).startsWith(seg.text)).toBe(true)
    expect(seg.text.length).toBeGreaterThan(10)
  })

  it('a long key round-trips on the backend: put, get, list by prefix, replace, delete', async () => {
    const backend = new FsBackend(tempDir('omega-fskey-'), { fsync: false })
    await backend.open()
    const rev = await backend.meta.put(LONG_KEY, { v: 1 }, { ifRevision: null })
    await expect(backend.meta.put(LONG_KEY, { v: 0 }, { ifRevision: null })).rejects.toMatchObject({ code: 'E_CONFLICT' })
    expect((await backend.meta.get(LONG_KEY))?.doc).toEqual({ v: 1 })
    for (const prefix of ['', 'default/data/', `default/data/${cjk(20)}/${cjk(3)}`, LONG_KEY.slice(0, 300), LONG_KEY]) {
      expect(await list(backend, prefix)).toEqual([LONG_KEY])
    }
    expect(await list(backend, `${LONG_KEY.slice(0, 300)}x`)).toEqual([])
    const rev2 = await backend.meta.put(LONG_KEY, { v: 2 }, { ifRevision: rev })
    await backend.meta.delete(LONG_KEY, { ifRevision: rev2 })
    expect(await backend.meta.get(LONG_KEY)).toBeUndefined()
  })

  it('listing by a prefix that reaches into a hashed directory finds its documents', async () => {
    const backend = new FsBackend(tempDir('omega-fskey-'), { fsync: false })
    await backend.open()
    const keys = [`b/data/${cjk(60)}/x`, `b/data/${cjk(60)}/y/z`, `b/data/${cjk(59)}本/x`]
    for (const k of keys) await backend.meta.put(k, {}, { ifRevision: null })
    expect(await list(backend, `b/data/${cjk(30)}`)).toEqual([...keys].sort())
    expect(await list(backend, `b/data/${cjk(60)}/`)).toEqual(keys.slice(0, 2))
    expect(await list(backend, `b/data/${cjk(60)}/y`)).toEqual([keys[1]])
    expect(await list(backend, `b/data/${cjk(59)}本`)).toEqual([keys[2]])
  })

  it('a long key an earlier store wrote in the plain layout is still read, moved on update, and listed once', async () => {
    const root = tempDir('omega-fskey-')
    const backend = new FsBackend(root, { fsync: false })
    await backend.open()
    // What an earlier version wrote for a key that fit under its root: over MAX_PLAIN_PATH, under PATH_MAX.
    const key = `default/data/${Array.from({ length: 10 }, () => cjk(20)).join('/')}`
    const plain = join(root, 'meta', ...encodePlainKey(key)) + '.json'
    expect(encodeKey(key)).not.toEqual(encodePlainKey(key))
    await mkdir(dirname(plain), { recursive: true })
    await writeFile(plain, JSON.stringify({ key, rev: 'r1', doc: { v: 'old' } }))
    expect(await backend.meta.get(key)).toEqual({ key, doc: { v: 'old' }, revision: 'r1' })
    expect(await list(backend, 'default/')).toEqual([key])
    await expect(backend.meta.put(key, { v: 'x' }, { ifRevision: null })).rejects.toMatchObject({ code: 'E_CONFLICT' })
    const rev = await backend.meta.put(key, { v: 'new' }, { ifRevision: 'r1' })
    expect(await readdir(dirname(plain))).toEqual([])
    expect(await backend.meta.get(key)).toEqual({ key, doc: { v: 'new' }, revision: rev })
    // A move interrupted between writing the new file and removing the old one: the new file wins.
    await writeFile(plain, JSON.stringify({ key, rev: 'r1', doc: { v: 'old' } }))
    const listed: unknown[] = []
    for await (const d of backend.meta.list('default/')) listed.push(d.doc)
    expect(listed).toEqual([{ v: 'new' }])
    await backend.meta.delete(key, { ifRevision: rev })
    expect(await backend.meta.get(key)).toBeUndefined()
    expect(await list(backend, '')).toEqual([])
  })
})
