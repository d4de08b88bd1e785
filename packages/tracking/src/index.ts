/**
 * **@omega/tracking**: experiments (runs, metrics, params, artifacts), capture of what models see
 * in production, and drift monitors, stored as events appended to hidden Arrow datasets.
 *
 * It observes the runtime through core's call hook (`om.runtime.observe`); core never imports it.
 * With `@omega/omega`, `om.experiments(name)` and `om.monitor(…)` are wired in; with `@omega/core`
 * alone, use `experiments(om, name)` and `monitor(om, …)`.
 *
 * @packageDocumentation
 */
import type { Omega } from '@omega/core'
import type { Experiment } from './experiment.js'
import type { Monitor } from './monitor.js'
import { Tracking } from './tracking.js'

export { Tracking, type TrackingOptions, type TrackingStats } from './tracking.js'
export type { AlertAction, AlertEvent, AlertEventJson, AlertRule, AlertScriptAction } from './alert-rules.js'
export { Monitor, type MonitorData, type MonitorOptions, type CompareOptions, type Snapshot } from './monitor.js'
export { compareTables, type DriftReport, type ColumnDrift, type DriftThresholds } from './drift.js'
export { columnStats, columnValues, isNumericType, type ColumnStats, type NumericStats, type CategoricalStats, type ColumnValues } from './stats/column-stats.js'
export { Experiment, concatTables, type TrackOptions } from './experiment.js'
export { Run, INLINE_ARTIFACT_BYTES, type ArtifactRef, type LogMetricOptions } from './run.js'
export type { EventQuery } from './event-query.js'
export { EVENT_COLUMNS, type EventRow, type EventName } from './event-schema.js'
export { EVENT_VERSIONS_KEPT, type CaptureStats } from './event-log.js'
export type { ExperimentSummary, MetricSummary, LatencySummary } from './summary.js'
export { toEpochMs } from './time-window.js'
export { ks2samp, ksStatistic, kolmogorovSf, KS_EXACT_MAX, type KsResult } from './stats/ks-test.js'
export { wasserstein } from './stats/wasserstein.js'
export { chi2Contingency, chi2Sf, gammaQ, lnGamma, type Chi2Result } from './stats/chi-square.js'
export { psiFromCounts, psiNumeric, psiEdges, binCounts, quantileSorted, PSI_EPSILON } from './stats/psi.js'

/** `om.experiments(name)` for an instance opened with `@omega/core` alone. */
export function experiments(om: Omega, name: string): Experiment {
  return Tracking.of(om).experiment(name)
}

/** `om.monitor(…)` for an instance opened with `@omega/core` alone. */
export function monitor(om: Omega, model: Parameters<Tracking['monitor']>[0], options?: Parameters<Tracking['monitor']>[1]): Monitor {
  return Tracking.of(om).monitor(model, options)
}
