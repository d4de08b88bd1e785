import { errors } from '../errors.js'
import type { BackendFactory, StorageBackend } from '../backend/storage-backend.js'
import { Registry } from './registry.js'

/** Splits a store URL into its scheme and the rest: `fs:./x` → `fs`, `s3://b/p` → `s3`. */
export function storeScheme(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url)
  if (!m) {
    throw errors.invalidArgument(
      `store URL ${JSON.stringify(url)} has no scheme; use level:<dir>, fs:<dir>, memory: or s3://bucket/prefix`,
      { store: url },
    )
  }
  return m[1]!.toLowerCase()
}

/** URL scheme → backend factory. Plugins extend it with `registerBackend('redis', factory)`. */
export class BackendRegistry extends Registry<BackendFactory> {
  constructor() {
    super('storage backend for scheme')
  }

  /** Builds (does not open) the backend a store URL names. */
  async create(url: string, options: Readonly<Record<string, unknown>>): Promise<StorageBackend> {
    return await this.get(storeScheme(url))(url, options)
  }
}
