/**
 * **@omega/omega**: everything an application needs, from one import.
 *
 * ```ts
 * import { Omega } from '@omega/omega'
 * const om = await Omega.open()   // LevelDB at $OMEGA_HOME or ./.omega
 * ```
 *
 * @packageDocumentation
 */
import { Omega as CoreOmega, type OpenOptions } from '@omega/core'
import { BUILTINS_URL } from './builtins.js'

export * from '@omega/core'
export { LevelBackend, type LevelBackendOptions } from '@omega/level'
export { FsBackend, type FsBackendOptions } from '@omega/fs'
export * from '@omega/mljs'
export { PoolRuntime, type PoolOptions } from '@omega/pool'
export { Table, RecordBatch, tableFromArrays, vectorFromArray } from 'apache-arrow'
export { BUILTINS_URL }

/**
 * {@link CoreOmega} with the bundled stores and estimators registered: `level:` (the default),
 * `fs:`, `memory:` and the ml.js models. User plugins load after the built-ins and outrank them.
 */
export class Omega extends CoreOmega {
  /**
   * Opens an instance with the built-ins plus `options.plugins`.
   *
   * @throws {OmegaError} E_LOCKED if another process holds the store
   */
  static override async open(options: OpenOptions = {}): Promise<CoreOmega> {
    return await CoreOmega.open({ ...options, plugins: [BUILTINS_URL, ...(options.plugins ?? [])] })
  }
}
