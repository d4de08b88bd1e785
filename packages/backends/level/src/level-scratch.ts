import type { ClassicLevel } from 'classic-level'
import { errors, throwIfAborted, type ScratchStore, type SignalOptions } from '@omega/core'
import { upperBound } from './key-range.js'
import { BLOB, CHUNK, type BlobHeader, type LevelBlobs } from './level-blobs.js'

/**
 * What interrupted writes and removals left: chunks no blob header refers to (a writer killed
 * before its header write), and blob files no header publishes or temp files of dead writes
 * (see LevelBlobFiles). Listing reads every header and chunk key (not values) once; fsck calls
 * it, opening does not.
 */
export class LevelScratch implements ScratchStore {
  constructor(
    readonly db: ClassicLevel<string, unknown>,
    readonly blobs: LevelBlobs,
  ) {}

  async *list(options: SignalOptions = {}): AsyncIterable<{ id: string; size: number; modifiedAt: number }> {
    const live = new Set<string>()
    const published = new Set<string>()
    for await (const [key, value] of this.db.iterator({ gte: BLOB, lt: upperBound(BLOB) })) {
      const header = value as BlobHeader
      live.add(header.id)
      if (header.file) published.add(key.slice(BLOB.length))
    }
    const orphans = new Map<string, number>()
    for await (const key of this.db.keys({ gte: CHUNK, lt: upperBound(CHUNK) })) {
      throwIfAborted(options.signal)
      const id = key.slice(CHUNK.length, key.lastIndexOf('!'))
      if (!live.has(id) && !this.blobs.writing.has(id)) orphans.set(id, (orphans.get(id) ?? 0) + 1)
    }
    for (const id of orphans.keys()) {
      if (this.blobs.writing.has(id)) continue
      let size = 0
      for await (const value of this.db.values({ gte: `${CHUNK}${id}!`, lt: upperBound(`${CHUNK}${id}!`), valueEncoding: 'view' })) size += (value as Uint8Array).byteLength
      const dot = id.indexOf('.')
      const born = dot > 0 ? parseInt(id.slice(0, dot), 36) : NaN
      yield { id: `chunks:${id}`, size, modifiedAt: Number.isFinite(born) ? born : 0 }
    }
    // A file whose header a write is publishing right now is young: fsck spares leftovers younger than its grace period.
    for await (const leftover of this.blobs.files.leftovers((sha256) => published.has(sha256), this.blobs.writing)) {
      throwIfAborted(options.signal)
      yield leftover
    }
  }

  async delete(id: string): Promise<void> {
    const file = this.blobs.files.leftoverPath(id)
    if (file !== undefined) {
      if (id.startsWith('temp:') && this.blobs.writing.has(id.slice('temp:'.length))) return
      // A file a header published since the listing is not a leftover any more.
      if (id.startsWith('file:') && (await this.blobs.has(id.slice('file:'.length)))) return
      return await this.blobs.files.remove(file)
    }
    if (!id.startsWith('chunks:')) throw errors.invalidArgument(`"${id}" is not a leftover of this store`)
    const writeId = id.slice('chunks:'.length)
    if (this.blobs.writing.has(writeId)) return
    const keys: string[] = []
    for await (const key of this.db.keys({ gte: `${CHUNK}${writeId}!`, lt: upperBound(`${CHUNK}${writeId}!`) })) keys.push(key)
    if (keys.length > 0) await this.db.batch(keys.map((key) => ({ type: 'del' as const, key })))
  }
}
