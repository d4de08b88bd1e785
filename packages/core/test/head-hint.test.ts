// The head hint: with many versions, `name@latest` is found from `<name>/#head` without listing
// every version document, and stays right when the hint lags, top versions are dropped, or the
// name is dropped and put again.
import { describe, expect, it } from 'vitest'
import { MemoryBackend, Omega } from '@omega/core'

const headKey = (name: string): string => `default/data/${name}/#head`

/**
 * A memory store that says other processes may write it, as fs and S3 do: there the head is found
 * from the hint (a single-process store remembers the head its own puts wrote instead).
 */
function shared(): MemoryBackend {
  const backend = new MemoryBackend()
  Object.defineProperty(backend, 'supports', { value: { ...backend.supports, multiProcess: true } })
  return backend
}

/** Counts list calls of the metadata store (the listing the hint avoids). */
function counting(): { backend: MemoryBackend; lists: () => number } {
  const backend = shared()
  let lists = 0
  const list = backend.meta.list.bind(backend.meta)
  backend.meta.list = (prefix, options) => {
    lists++
    return list(prefix, options)
  }
  return { backend, lists: () => lists }
}

describe('head hint', () => {
  it('finds the latest of many versions without a listing, also when the hint lags behind', async () => {
    const { backend, lists } = counting()
    const om = await Omega.open({ store: backend })
    for (let v = 1; v <= 40; v++) await om.datasets.put({ v }, 'd')
    const hint = JSON.parse(backend.data.docs.get(headKey('d'))!.doc) as { newest: number }
    expect(hint.newest).toBeGreaterThanOrEqual(16)
    expect(hint.newest).toBeGreaterThan(40 - 10)
    const before = lists()
    expect(await om.datasets.get('d')).toEqual({ v: 40 })
    expect((await om.datasets.metadata('d'))!.version).toBe(40)
    expect(lists()).toBe(before)
    await om.close()
    // A hint far behind (written by an older process) is stepped past and moved by a process that
    // has not seen the name yet (one that has starts where it last saw it).
    const stored = await backend.meta.get(headKey('d'))
    await backend.meta.put(headKey('d'), { newest: 17 }, { ifRevision: stored!.revision })
    const other = await Omega.open({ store: backend })
    expect((await other.datasets.put({ v: 41 }, 'd')).version).toBe(41)
    expect((await backend.meta.get(headKey('d')))!.doc.newest).toBe(40)
    const listed = lists()
    expect(await other.datasets.get('d')).toEqual({ v: 41 })
    expect(lists()).toBe(listed)
    await other.close()
  })

  it('dropped top versions, a name dropped and put again, and a hint past every version', async () => {
    const om = await Omega.open({ store: shared() })
    for (let v = 1; v <= 30; v++) await om.datasets.put({ v }, 'd')
    await om.datasets.drop('d@30')
    await om.datasets.drop('d@29')
    expect(await om.datasets.get('d')).toEqual({ v: 28 })
    expect((await om.datasets.put({ v: 31 }, 'd')).version).toBe(31)
    for (let v = 31; v >= 3; v--) await om.datasets.drop(`d@${v}`, { force: true })
    expect(await om.datasets.get('d')).toEqual({ v: 2 })
    await om.datasets.drop('d')
    expect(await om.datasets.exists('d')).toBe(false)
    expect((await om.datasets.put({ again: true }, 'd')).version).toBe(1)
    expect(await om.datasets.get('d')).toEqual({ again: true })
    await om.close()

    // A hint left pointing past every stored version (a crash between a drop's deletions) is ignored and replaced.
    const backend = shared()
    const writer = await Omega.open({ store: backend })
    for (let v = 1; v <= 3; v++) await writer.datasets.put({ v }, 'e')
    await writer.close()
    await backend.meta.put(headKey('e'), { newest: 99 }, { ifRevision: null })
    const om2 = await Omega.open({ store: backend })
    expect(await om2.datasets.get('e')).toEqual({ v: 3 })
    expect((await om2.datasets.put({ v: 4 }, 'e')).version).toBe(4)
    expect((await backend.meta.get(headKey('e')))!.doc.newest).toBe(3)
    await om2.datasets.drop('e')
    expect([...backend.data.docs.keys()].filter((k) => k.startsWith('default/data/e'))).toEqual([])
    await om2.close()
  })
})
