/**
 * **@omega/level**: omega's embedded default storage backend, on LevelDB (classic-level).
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { LevelBackend, type LevelBackendOptions } from './level-backend.js'

export { LevelBackend, type LevelBackendOptions } from './level-backend.js'
export { mapLevelError } from './errors.js'

/** Registers the `level:` scheme: `level:./dir` (relative to the working directory). */
const plugin: Plugin = (api) => {
  api.registerBackend(
    LevelBackend.SCHEME,
    (url, options) => new LevelBackend(url.slice('level:'.length) || './.omega', (options.level ?? {}) as LevelBackendOptions),
    { priority: 0 },
  )
}
export default plugin
