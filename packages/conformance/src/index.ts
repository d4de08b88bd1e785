/**
 * **@omega/conformance**: the suites that prove a storage backend (and, later, a handler or a
 * runtime) is correct. A backend package passes by calling {@link conformance} from one test file.
 *
 * @packageDocumentation
 */
import { describe } from 'vitest'
import { blobTests } from './backend/blobs.js'
import { lifecycleTests } from './backend/lifecycle.js'
import { metadataTests } from './backend/metadata.js'
import { checkOptions, type BackendSuiteOptions } from './context.js'
import { modelTests } from './store/models.js'
import { objectTests } from './store/objects.js'
import { tableTests } from './store/datasets-tables.js'
import { tableLayoutTests } from './store/datasets-layout.js'
import { otherDatasetTests } from './store/datasets-other.js'
import { integrityTests } from './store/integrity.js'
import { verifiedStreamTests } from './store/verified-streams.js'
import { hostileDataTests } from './store/hostile-data.js'
import { datasetVersionTests } from './store/datasets-versions.js'
import { datasetVersionChainTests } from './store/datasets-version-chains.js'

export type { BackendSuiteOptions } from './context.js'
export { tempDir, removeTempDirs, rejectsWith, everyByte, chunked } from './context.js'
export { TestLinear, openStore, snapshot } from './store/open-store.js'

/** The StorageBackend contract: blobs, metadata with compare-and-set, lifecycle, integrity. */
export function backendSuite(name: string, options: BackendSuiteOptions): void {
  checkOptions(options)
  describe(`${name}: backend`, () => {
    blobTests(options)
    metadataTests(options)
    lifecycleTests(options)
    options.additionalTests?.(options)
  })
}

/** Omega-level behaviour on the backend, in the default bucket and in another one. */
export function storeSuite(name: string, options: BackendSuiteOptions): void {
  checkOptions(options)
  for (const bucket of ['default', 'second']) {
    describe(`${name}: store`, () => {
      objectTests(options, bucket)
      modelTests(options, bucket)
      tableTests(options, bucket)
      tableLayoutTests(options, bucket)
      otherDatasetTests(options, bucket)
      integrityTests(options, bucket)
      verifiedStreamTests(options, bucket)
      hostileDataTests(options, bucket)
      datasetVersionTests(options, bucket)
      datasetVersionChainTests(options, bucket)
    })
  }
}

/** What a backend package calls: {@link backendSuite} and {@link storeSuite}. */
export function conformance(name: string, options: BackendSuiteOptions): void {
  backendSuite(name, options)
  storeSuite(name, options)
}
export { fixturePath, loadCsv, type NumericCsv } from './fixtures.js'
export { sampleTable } from './store/datasets-tables.js'
export { wideTable } from './store/datasets-layout.js'
export { countingBackend } from './store/counting-backend.js'
export { failingBackend } from './store/failing-backend.js'
export { runtimeSuite, TEST_PLUGIN_URL, type RuntimeSuiteOptions } from './runtime/suite.js'
export { GdLinear, RunningMean, Troublemaker } from './runtime/test-plugin.js'
export { handlerSuite, type HandlerSuiteOptions, type HandlerFixture } from './handler/suite.js'
