// The README's quick start as a strict TypeScript application (skipLibCheck: false), compiled
// against the installed packages' declarations: a dangling or private type reference, or a type
// that needs a cast where the README has none, fails it.
import { Omega, OmegaError, RandomForestClassifier, isTensor, type Metadata, type Tensor } from '@omega/omega'

declare const irisRecords: Record<string, number>[]
declare const X: number[][]
declare const y: number[]

export async function quickstart(): Promise<number[]> {
  const om = await Omega.open()                          // LevelDB at $OMEGA_HOME or ./.omega
  await om.datasets.put(irisRecords, 'iris')             // store data by name
  const rf = new RandomForestClassifier({ nEstimators: 25, seed: 42 })
  rf.train(X, y)
  const meta: Metadata = await om.models.put(rf, 'iris-rf')
  await om.models.put(rf, 'iris-rf', { tag: 'production' })
  const model = await om.models.get<RandomForestClassifier>('iris-rf@production')
  const predicted: number[] = model.predict([[5.1, 3.5, 1.4, 0.2]])
  await om.models.promote('iris-rf@production', om.bucket('prod').models)
  console.log(meta.version, await om.models.revisions('iris-rf'))
  const features = await om.datasets.get('iris[^target]') // a Table
  const pooled: Tensor = await om.runtime.model('iris-rf').predict<Tensor>(features)
  const either = await om.runtime.model('iris-rf').predict([[5.1, 3.5, 1.4, 0.2]])
  console.log(features.numCols, pooled.shape, isTensor(either) ? either.toArray() : Object.keys(either))
  await om.close()
  return predicted
}

export function codeOf(err: unknown): string | undefined {
  return err instanceof OmegaError ? err.code : undefined
}
