import { Omega } from '@omega/core'
import { runtimeSuite, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'

runtimeSuite('inline', {
  open: (options) => Omega.open({ ...options, store: new LevelBackend(tempDir('omega-inline-')), runtime: 'inline' }),
  threads: false,
})
