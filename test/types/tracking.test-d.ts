// SPEC §9 as a TypeScript user writes it: om.experiments and om.monitor are typed on @omega/omega's Omega.
import { Omega, type ColumnDrift, type DriftReport, type Experiment, type Monitor, type Run, type Table } from '@omega/omega'

export async function spec9(): Promise<void> {
  const om = await Omega.open({ store: 'memory:' })
  const exp: Experiment = om.experiments('churn')
  await exp.run(async (run: Run) => {
    run.logParam('depth', 4)
    run.logMetric('acc', 0.93, { step: 1 })
  })
  await exp.track('mymodel', { capture: true })
  const metrics: Table = await exp.data({ run: '*', event: 'metric', since: '5h' })
  const X: Table = await exp.restoreData('X', { event: 'predict', run: '*' })
  const mon: Monitor = om.monitor('mymodel', { experiment: 'churn' })
  await mon.snapshot('train[^y]', { groupBy: 'region' })
  const report: DriftReport = await mon.compare({ baseline: 'train[^y]', target: 'recent' })
  const x1: ColumnDrift | undefined = report.columns['x1']
  const flagged: boolean = report.drift && x1?.test === 'ks' && x1.pvalue < 0.05 && (x1.wasserstein ?? 0) >= 0
  om.monitor({ dataset: 'tx' })
  om.tracking.alert({ event: 'drift', action: (e) => void e.key })
  void [metrics, X, flagged, om.bucket('prod').experiments('other')]
  await om.close()
}
