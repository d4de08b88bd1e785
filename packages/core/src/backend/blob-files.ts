import { closeSync, createReadStream, fsync, openSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { errors, throwIfAborted } from '../errors.js'

/**
 * Blobs kept as plain files, for backends that store bytes in files (fs, and LevelDB's large
 * blobs): reading them (the fast paths measured for 80 MB dataset gets) and making a rename into
 * a directory durable, in one place.
 */

/** Blobs up to this size are read into one buffer instead of streamed. */
export const WHOLE_READ_LIMIT = 64 * 1024 * 1024

/**
 * The bytes of the blob file at `path`: files up to {@link WHOLE_READ_LIMIT} as one buffer (one
 * open, one fstat and normally one read call; `fs/promises.readFile` reads in 512 KiB steps, one
 * thread-pool round trip each), larger ones in 4 MiB pieces. A missing file is E_NOT_FOUND naming
 * the blob.
 */
export async function* readBlobFile(path: string, sha256: string, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  throwIfAborted(signal)
  try {
    const whole = await readWhole(path)
    if (whole) {
      yield whole
      return
    }
    for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
      throwIfAborted(signal)
      yield chunk as Buffer
    }
  } catch (err) {
    throw missingBlob(err, sha256)
  }
}

/**
 * Reads the blob file at `path` from its start into `target` (at most its length) and returns how
 * many bytes it read: one open, one read (normally) and one close, no stat (the caller knows the
 * size). A missing file is E_NOT_FOUND naming the blob.
 */
export async function readBlobFileInto(path: string, sha256: string, target: Uint8Array, signal?: AbortSignal): Promise<number> {
  throwIfAborted(signal)
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw missingBlob(err, sha256)
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

async function readWhole(path: string): Promise<Buffer | undefined> {
  const handle = await open(path, 'r')
  try {
    const size = (await handle.stat()).size
    if (size > WHOLE_READ_LIMIT) return undefined
    const out = Buffer.allocUnsafe(size)
    let filled = 0
    while (filled < size) {
      const { bytesRead } = await handle.read(out, filled, size - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    // A file that shrank meanwhile (it cannot for a published blob) reads as what is there: verification catches it.
    return filled === size ? out : out.subarray(0, filled)
  } finally {
    await handle.close()
  }
}

/**
 * fsync(2) of a directory, so that a file created, renamed into or removed from it survives a power
 * failure. Opening and closing the directory are synchronous calls of microseconds; the fsync,
 * which waits for the disk, runs on the thread pool.
 */
export function syncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r')
  return new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))).finally(() => closeSync(fd))
}

function missingBlob(err: unknown, sha256: string): unknown {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' ? errors.notFound('blob', sha256) : err
}
