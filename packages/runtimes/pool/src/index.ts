/**
 * **@omega/pool**: omega's default runtime, a Piscina worker-thread pool.
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { PoolRuntime, type PoolOptions } from './pool-runtime.js'

export { PoolRuntime, type PoolOptions, type PiscinaPool } from './pool-runtime.js'

/** Registers the `pool` runtime; `Omega.open({ pool: { resourceLimits, cacheSize, piscina } })` configures it. */
const plugin: Plugin = (api) => {
  api.registerRuntime('pool', (host) => new PoolRuntime(host, (host.options.pool ?? {}) as PoolOptions), { priority: 0 })
}
export default plugin
