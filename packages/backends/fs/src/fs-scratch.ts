import { readdir, rm, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { errors, throwIfAborted, type ScratchStore, type SignalOptions } from '@omega/core'

/** `tmp/`: files of writes in progress, or left by a killed process. */
export class FsScratch implements ScratchStore {
  constructor(readonly root: string) {}

  async *list(options: SignalOptions = {}): AsyncIterable<{ id: string; size: number; modifiedAt: number }> {
    const dir = join(this.root, 'tmp')
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      throwIfAborted(options.signal)
      const s = await stat(join(dir, name)).catch(() => undefined)
      if (s?.isFile()) yield { id: `tmp/${name}`, size: s.size, modifiedAt: s.mtimeMs }
    }
  }

  async delete(id: string): Promise<void> {
    const name = id.startsWith('tmp/') ? id.slice(4) : ''
    if (name === '' || name.includes('/') || name.includes(sep) || name === '..' || name === '.') throw errors.invalidArgument(`"${id}" is not a temp file of this store`)
    await rm(join(this.root, 'tmp', name), { force: true })
  }
}
