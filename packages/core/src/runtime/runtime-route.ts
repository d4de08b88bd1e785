import { errors } from '../errors.js'
import type { Runtime } from './runtime.js'

/** What `om.runtime.require(…)` asks of the executors. */
export interface RuntimeRequirements {
  /** A label workers serve (`omega worker --labels gpu`). */
  readonly label: string
}

/** Labels: short, and safe in a queue name. */
export const LABEL = /^[A-Za-z0-9._-]{1,64}$/

/**
 * E_UNSUPPORTED for a labelled task on a runtime that cannot route it. Pool and inline run
 * everything in this process: accepting a label they cannot honour would hide a deployment mistake.
 */
export function checkRoute(runtime: Runtime, label: string): void {
  if (runtime.routes !== true) {
    throw errors.unsupported(`the ${runtime.kind} runtime cannot route tasks by label ("${label}"); open omega with runtime: { type: 'bullmq', … } and start workers with --labels ${label}`, {
      label,
      runtime: runtime.kind,
    })
  }
}

