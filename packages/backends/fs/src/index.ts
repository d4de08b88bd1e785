/**
 * **@omega/fs**: omega storage backend on plain files, safe for several processes.
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { FsBackend, type FsBackendOptions } from './fs-backend.js'

export { FsBackend, type FsBackendOptions } from './fs-backend.js'
export { encodeSegment, decodeSegment } from './key-path.js'

/** Registers the `fs:` scheme: `fs:./dir` (relative to the working directory). */
const plugin: Plugin = (api) => {
  api.registerBackend(FsBackend.SCHEME, (url, options) => new FsBackend(url.slice('fs:'.length) || '.', (options.fs ?? {}) as FsBackendOptions), {
    priority: 0,
  })
}
export default plugin
