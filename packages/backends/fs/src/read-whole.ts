import { open } from 'node:fs/promises'

/** Blobs up to this size are read into one buffer instead of streamed. */
export const WHOLE_READ_LIMIT = 64 * 1024 * 1024

/**
 * The whole file in one buffer if it is at most {@link WHOLE_READ_LIMIT} bytes, else undefined.
 * One open, one fstat and (normally) one read call: `fs/promises.readFile` reads in 512 KiB steps,
 * one thread-pool round trip each, which made an 80 MB table's read cost twice the disk's time.
 */
export async function readWhole(path: string): Promise<Buffer | undefined> {
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
