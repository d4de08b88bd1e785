// The README's quick start as a strict TypeScript application (skipLibCheck: false), compiled
// against the installed packages' declarations: a dangling or private type reference fails it.
import { Omega, OmegaError, RandomForestClassifier, type Metadata, type Table, type Tensor } from '@omega/omega'

export async function quickstart(irisRecords: Record<string, number>[]): Promise<number[]> {
  const om = await Omega.open()
  await om.datasets.put(irisRecords, 'iris')
  const table = (await om.datasets.get('iris[^target]')) as Table
  const X = table.toArray().map((row) => Object.values(row.toJSON()) as number[])
  const y = Array.from((await om.datasets.get('iris[target]')) as Table, (row) => row.target as number)
  const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
  rf.train(X, y)
  const meta: Metadata = await om.models.put(rf, 'iris-rf')
  await om.models.put(rf, 'iris-rf', { tag: 'production' })
  const model = (await om.models.get('iris-rf@production')) as RandomForestClassifier
  const predicted: number[] = model.predict([[5.1, 3.5, 1.4, 0.2]])
  await om.models.promote('iris-rf@production', om.bucket('prod').models)
  const revisions = await om.models.revisions('iris-rf')
  const pooled = (await om.runtime.model('iris-rf').predict([[5.1, 3.5, 1.4, 0.2]])) as Tensor
  console.log(meta.version, revisions.length, pooled.shape)
  await om.close()
  return predicted
}

export function codeOf(err: unknown): string | undefined {
  return err instanceof OmegaError ? err.code : undefined
}
