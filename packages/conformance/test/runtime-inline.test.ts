import { MemoryBackend, Omega } from '@omega/core'
import { runtimeSuite } from '@omega/conformance'

// Core's inline runtime on core's memory backend (these live here, not in core, so that core has no
// dev dependency on this package: a cycle pnpm warns about). The pool runtime's suite runs on LevelDB.
runtimeSuite('inline', {
  open: (options) => Omega.open({ ...options, store: new MemoryBackend(), runtime: 'inline' }),
  threads: false,
})
