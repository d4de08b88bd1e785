/**
 * **@omega/memory**: the in-memory backend (`memory:`), for tests. The implementation lives in
 * core as the reference backend that core's own tests run on; this package gives it the name
 * and the plugin shape every other backend has.
 *
 * @packageDocumentation
 */
import { MemoryBackend, memoryBackendFactory, type Plugin } from '@omega/core'

export { MemoryBackend } from '@omega/core'

/** Registers the `memory:` scheme (core registers it too, as a built-in at priority 0). */
const plugin: Plugin = (api) => {
  api.registerBackend(MemoryBackend.SCHEME, memoryBackendFactory, { priority: 1 })
}
export default plugin
