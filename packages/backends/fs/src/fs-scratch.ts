import { readdir, rm, stat, unlink } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { errors, throwIfAborted, type ScratchStore, type SignalOptions } from '@omega/core'
import { assessLock, breakStaleLock, guardId, observeLock } from './fs-lock.js'
import type { Trash } from './fs-trash.js'

const LOCK = /\.json\.lock$/
const GUARD = /^(.*\.json\.lock)\.break-([0-9a-f]{16})-\d+$/

/** A leftover of this store: a temp file, or a document lock (or breaker guard) whose owner is gone. */
interface Leftover {
  readonly id: string
  readonly size: number
  readonly modifiedAt: number
  readonly detail: string
}

/**
 * Leftovers of interrupted writes: `tmp/` files (writes in progress, or left by a killed process),
 * and under `meta/` document locks whose owner is provably gone ({@link assessLock}) and guards of
 * lock breakers that died. A writer breaks such a lock itself when it needs the document; this
 * lets `fsck` find and remove the ones nobody writes again.
 */
export class FsScratch implements ScratchStore {
  constructor(
    readonly root: string,
    readonly trash: Trash,
  ) {}

  async *list(options: SignalOptions = {}): AsyncIterable<Leftover> {
    // This process's removals in flight are not leftovers: let them finish first.
    await this.trash.drained()
    const dir = join(this.root, 'tmp')
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      throwIfAborted(options.signal)
      const s = await stat(join(dir, name)).catch(() => undefined)
      if (s?.isFile()) yield { id: `tmp/${name}`, size: s.size, modifiedAt: s.mtimeMs, detail: `${s.size} bytes left by an interrupted write` }
    }
    const files = await readdir(join(this.root, 'meta'), { recursive: true }).catch(() => [] as string[])
    for (const rel of files.filter((f) => LOCK.test(f))) {
      throwIfAborted(options.signal)
      const path = join(this.root, 'meta', rel)
      const seen = await observeLock(path)
      if (!seen) continue
      const verdict = await assessLock(seen)
      if (verdict.stale) yield { id: `meta/${rel}`, size: 0, modifiedAt: seen.mtimeMs, detail: `document lock whose owner is gone (${verdict.why})` }
    }
    for (const rel of files.filter((f) => GUARD.test(f))) {
      throwIfAborted(options.signal)
      const path = join(this.root, 'meta', rel)
      const s = await stat(path).catch(() => undefined)
      if (s && (await this.#orphanGuard(path))) yield { id: `meta/${rel}`, size: s.size, modifiedAt: s.mtimeMs, detail: 'guard of a lock breaker that died; the lock it guarded is gone' }
    }
  }

  async delete(id: string): Promise<void> {
    const path = this.#pathOf(id)
    if (id.startsWith('tmp/')) return await rm(path, { force: true })
    if (LOCK.test(id)) {
      // Through the breakers' protocol, so that a lock taken meanwhile by a live writer survives.
      const seen = await observeLock(path)
      if (seen && (await assessLock(seen)).stale) await breakStaleLock(path, seen, undefined, join(this.root, 'tmp', `break-${process.pid}-${Date.now()}`))
      return
    }
    if (await this.#orphanGuard(path)) await unlink(path).catch(() => undefined)
  }

  /**
   * A guard protects the breaking of one lock identity; once no lock of that identity exists (it
   * was broken, or its owner released it) no breaker can act on it again, so the guard is garbage.
   */
  async #orphanGuard(path: string): Promise<boolean> {
    const m = GUARD.exec(path)
    if (!m) return false
    const current = await observeLock(m[1]!)
    return !current || guardId(current) !== m[2]
  }

  #pathOf(id: string): string {
    const [area, ...rest] = id.split('/')
    const rel = rest.join('/')
    const ok =
      (area === 'tmp' && rest.length === 1 && rel !== '' && !rel.includes(sep)) ||
      (area === 'meta' && rest.length > 0 && rest.every((s) => s !== '' && s !== '.' && s !== '..') && (LOCK.test(rel) || GUARD.test(rel)))
    if (!ok || rel === '.' || rel === '..') throw errors.invalidArgument(`"${id}" is not a leftover of this store`)
    const path = join(this.root, area!, rel)
    if (relative(join(this.root, area!), path).startsWith('..')) throw errors.invalidArgument(`"${id}" is not a leftover of this store`)
    return path
  }
}
