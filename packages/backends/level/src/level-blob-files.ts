import { mkdirSync } from 'node:fs'
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { isSha256, syncDirectory } from '@omega/core'

/**
 * The large blobs of a LevelDB store, kept as files beside the database in `<dir>/blobs/<ab>/<sha256>`
 * while LevelDB keeps their headers: the key-value separation of WiscKey and RocksDB's BlobDB.
 * Their bytes never pass through LevelDB's log, memtable and compactions, nor through
 * classic-level's copy of every value it returns (for an 80 MB table, 20 ms on the main thread
 * per get); a get reads them straight into its buffer, as on fs. LevelDB leaves names it does not
 * know alone in its directory.
 *
 * A file is written to `blobs/tmp/<write id>`, fsynced, renamed into place and its directory
 * fsynced before the header that publishes it is written, so a header never names missing bytes,
 * even after a power failure. A removal deletes the header first, then the file. What a killed
 * writer or remover leaves (a temp file, a file without a header) is a leftover for fsck.
 */
export class LevelBlobFiles {
  readonly #root: string
  readonly #tmp: string

  constructor(location: string) {
    this.#root = join(location, 'blobs')
    this.#tmp = join(this.#root, 'tmp')
  }

  /** Where the file of a blob is. */
  path(sha256: string): string {
    return join(this.#root, sha256.slice(0, 2), sha256)
  }

  /** A new temp file for the write `id`. */
  async create(id: string): Promise<{ readonly handle: FileHandle; readonly path: string }> {
    mkdirSync(this.#tmp, { recursive: true })
    const path = join(this.#tmp, id)
    return { handle: await open(path, 'wx'), path }
  }

  /** Moves a written, fsynced and closed temp file into place as the blob `sha256`, durably. */
  async publish(tempPath: string, sha256: string): Promise<void> {
    const target = this.path(sha256)
    const dir = join(this.#root, sha256.slice(0, 2))
    await mkdir(dir, { recursive: true })
    await rename(tempPath, target)
    await syncDirectory(dir)
  }

  /** Removes a blob's file (or a temp file); one already gone is not an error. */
  async remove(path: string): Promise<void> {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }

  /**
   * Files no header publishes and temp files of writes no longer running: what a killed writer or
   * remover left. Ids are `file:<sha256>` and `temp:<write id>`.
   */
  async *leftovers(published: (sha256: string) => boolean, writing: ReadonlySet<string>): AsyncIterable<{ id: string; size: number; modifiedAt: number }> {
    for (const shard of await readdir(this.#root).catch(() => [] as string[])) {
      if (shard === 'tmp') {
        for (const name of await readdir(this.#tmp).catch(() => [] as string[])) {
          if (writing.has(name)) continue
          const s = await stat(join(this.#tmp, name)).catch(() => undefined)
          if (s?.isFile()) yield { id: `temp:${name}`, size: s.size, modifiedAt: s.mtimeMs }
        }
        continue
      }
      for (const name of await readdir(join(this.#root, shard)).catch(() => [] as string[])) {
        if (!isSha256(name) || published(name)) continue
        const s = await stat(this.path(name)).catch(() => undefined)
        if (s?.isFile()) yield { id: `file:${name}`, size: s.size, modifiedAt: s.mtimeMs }
      }
    }
  }

  /** The path of a leftover id from {@link leftovers}, or undefined if it is not one. */
  leftoverPath(id: string): string | undefined {
    if (id.startsWith('file:') && isSha256(id.slice(5))) return this.path(id.slice(5))
    const name = id.slice(5)
    if (id.startsWith('temp:') && /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..') return join(this.#tmp, name)
    return undefined
  }
}
