import { open, stat, unlink } from 'node:fs/promises'
import { errors } from '@omega/core'

/** A lock older than this is taken to be left by a crashed process and is broken. */
const STALE_MS = 30_000
/** How long a writer waits for a document lock before giving up with E_LOCKED. */
const WAIT_MS = 20_000

/**
 * Runs `fn` while holding `<path>.lock`, created with O_EXCL so exactly one process (or async
 * caller) holds it. This is what makes compare-and-set atomic across processes on a plain file
 * system. Locks left by a killed process are broken after {@link STALE_MS}.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`
  const started = Date.now()
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx')
      await handle.writeFile(String(process.pid))
      await handle.close()
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0)
      if (age > STALE_MS) {
        await unlink(lockPath).catch(() => undefined)
        continue
      }
      if (Date.now() - started > WAIT_MS) throw errors.locked(lockPath)
      await new Promise((r) => setTimeout(r, Math.min(20, 1 + attempt) * Math.random() + 1))
    }
  }
  try {
    return await fn()
  } finally {
    await unlink(lockPath).catch(() => undefined)
  }
}
