import { Omega } from '@omega/core'
import { runtimeSuite, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import poolPlugin from '@omega/pool'

const POOL_PLUGIN = new URL('../dist/index.js', import.meta.url).href
void poolPlugin

runtimeSuite('pool', {
  open: (options) =>
    Omega.open({
      ...options,
      plugins: [POOL_PLUGIN, ...(options.plugins ?? [])],
      store: new LevelBackend(tempDir('omega-pool-')),
      runtime: 'pool',
      threads: 2,
      pool: { resourceLimits: { maxOldGenerationSizeMb: 256 } },
    }),
  threads: true,
})
