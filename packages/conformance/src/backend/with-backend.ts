import { CheckedBackend, type StorageBackend } from '@omega/core'
import type { BackendSuiteOptions } from '../context.js'

/** Opens a fresh backend (wrapped as core wraps it), runs `fn`, and closes it. */
export async function withBackend<T>(options: BackendSuiteOptions, fn: (backend: StorageBackend) => Promise<T>, location?: string): Promise<T> {
  const backend = new CheckedBackend(await options.factory(location))
  await backend.open()
  try {
    return await fn(backend)
  } finally {
    await backend.close()
  }
}
