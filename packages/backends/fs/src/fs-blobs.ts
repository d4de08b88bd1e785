import { createReadStream } from 'node:fs'
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { HashingReader, errors, isSha256, throwIfAborted, type BlobRef, type BlobStore, type ListedBlob, type SignalOptions } from '@omega/core'
import type { Paths } from './fs-backend.js'
import { exists } from './file-ops.js'
import { readWhole } from './read-whole.js'

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

  async *read(sha256: string, options: SignalOptions = {}): AsyncIterable<Uint8Array> {
    throwIfAborted(options.signal)
    const path = this.paths.blob(sha256)
    try {
      // Blobs up to 64 MiB (dataset parts, most models) are read whole; larger ones stream.
      const whole = await readWhole(path)
      if (whole) {
        yield whole
        return
      }
      for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
        throwIfAborted(options.signal)
        yield chunk as Buffer
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw errors.notFound('blob', sha256)
      throw err
    }
  }

  /** One open, one read (normally) and one close: no stat, the caller knows the size. */
  async readInto(sha256: string, target: Uint8Array, options: SignalOptions = {}): Promise<number> {
    throwIfAborted(options.signal)
    const handle = await open(this.paths.blob(sha256), 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? errors.notFound('blob', sha256) : err
    })
    try {
      let filled = 0
      while (filled < target.byteLength) {
        const { bytesRead } = await handle.read(target, filled, target.byteLength - filled, filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      return filled
    } finally {
      await handle.close()
    }
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
