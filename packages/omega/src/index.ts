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
import { Tracking, type Experiment, type Monitor } from '@omega/tracking'
import { BUILTINS_URL } from './builtins.js'

export * from '@omega/core'
export { LevelBackend, type LevelBackendOptions } from '@omega/level'
export { FsBackend, type FsBackendOptions } from '@omega/fs'
export * from '@omega/mljs'
export { PoolRuntime, type PoolOptions } from '@omega/pool'
export * from '@omega/tracking'
export { Table, RecordBatch, tableFromArrays, vectorFromArray } from 'apache-arrow'
export { BUILTINS_URL }

/**
 * {@link CoreOmega} with the bundled stores and estimators registered: `level:` (the default),
 * `fs:`, `memory:` and the ml.js models. User plugins load after the built-ins and outrank them.
 * Adds experiments and drift monitors (SPEC §9, from `@omega/tracking`).
 */
export class Omega extends CoreOmega {
  /**
   * Opens an instance with the built-ins plus `options.plugins`. Models put with
   * `attributes.tracking = { experiment, capture }` are tracked from the start.
   *
   * @throws {OmegaError} E_LOCKED if another process holds the store
   */
  static override async open(options: OpenOptions = {}): Promise<Omega> {
    const om = (await super.open({ ...options, plugins: [BUILTINS_URL, ...(options.plugins ?? [])] })) as Omega
    Tracking.of(om)
    return om
  }

  /** An Omega bound to another bucket of the same store (with its own experiments). */
  override bucket(name: string): Omega {
    return super.bucket(name) as Omega
  }

  /**
   * The experiment `name`, created on first use: runs, metrics, params, artifacts, tracked calls.
   *
   * @example
   * ```ts
   * const exp = om.experiments('churn')
   * await exp.run(async (run) => run.logMetric('acc', 0.93, { step: 1 }))
   * await exp.track('mymodel', { capture: true })
   * ```
   */
  experiments(name: string): Experiment {
    return Tracking.of(this).experiment(name)
  }

  /**
   * A drift monitor of a model's captured inputs against its fit data (`monitor('m', { experiment })`)
   * or of a dataset (`monitor({ dataset })`).
   */
  monitor(...args: Parameters<Tracking['monitor']>): Monitor {
    return Tracking.of(this).monitor(...args)
  }

  /** This instance's tracking: capture statistics, alert rules and actions. */
  get tracking(): Tracking {
    return Tracking.of(this)
  }
}
