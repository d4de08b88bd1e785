import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { HashingReader, isSha256, readBlobFile, readBlobFileInto, throwIfAborted, type BlobRef, type BlobStore, type ListedBlob, type SignalOptions } from '@omega/core'
import type { Paths } from './fs-backend.js'
import { exists } from './file-ops.js'

/** The blob half of an fs store: `blobs/<2 hex>/<sha256>`, written through `tmp/` and renamed into place. */
export class FsBlobs implements BlobStore {
  constructor(readonly paths: Paths) {}

  async write(source: Uint8Array | AsyncIterable<Uint8Array>, options: SignalOptions = {}): Promise<BlobRef> {
    throwIfAborted(options.signal)
    const tmp = this.paths.temp()
    const hasher = new HashingReader()
    const handle = await open(tmp, 'w')
    let closed = false
    try {
      for await (const chunk of hasher.pipe(source, options.signal)) await handle.write(chunk)
      if (this.paths.fsync) await handle.sync()
      await handle.close()
      closed = true
      const sha256 = hasher.digest()
      const target = this.paths.blob(sha256)
      if (exists(target)) {
        await unlink(tmp)
      } else {
        await mkdir(dirname(target), { recursive: true })
        await rename(tmp, target)
        await this.paths.syncDir(dirname(target))
      }
      return { sha256, size: hasher.size }
    } catch (err) {
      if (!closed) await handle.close().catch(() => undefined)
      await unlink(tmp).catch(() => undefined)
      throw err
    }
  }

  read(sha256: string, options: SignalOptions = {}): AsyncIterable<Uint8Array> {
    return readBlobFile(this.paths.blob(sha256), sha256, options.signal)
  }

  readInto(sha256: string, target: Uint8Array, options: SignalOptions = {}): Promise<number> {
    return readBlobFileInto(this.paths.blob(sha256), sha256, target, options.signal)
  }

  async has(sha256: string): Promise<boolean> {
    return isSha256(sha256) && exists(this.paths.blob(sha256))
  }

  async delete(sha256: string): Promise<void> {
    // Renamed away at once; its blocks are freed in the background (see Trash).
    this.paths.trash.discard(this.paths.blob(sha256))
  }

  async *list(options: SignalOptions = {}): AsyncIterable<ListedBlob> {
    const root = join(this.paths.root, 'blobs')
    for (const shard of await readdir(root).catch(() => [] as string[])) {
      for (const name of await readdir(join(root, shard)).catch(() => [] as string[])) {
        throwIfAborted(options.signal)
        if (!isSha256(name)) continue
        const s = await stat(join(root, shard, name)).catch(() => undefined)
        if (s) yield { sha256: name, size: s.size, modifiedAt: s.mtimeMs }
      }
    }
  }
}
