// Two processes share one S3 store: a trainer puts the data and fits a model; a predictor, started
// at the same time on another process (or machine), waits for the fitted model by name and serves
// predictions from it. Nothing but the store connects them.
// Run against any S3-compatible service (credentials from the standard AWS variables or profile):
//   OMEGA_S3_STORE=s3://my-bucket/demo AWS_REGION=eu-west-1 npx -y pnpm@10.34.9 example examples/shared-store.ts
// For MinIO or another endpoint, also set AWS_ENDPOINT_URL_S3=http://host:9000.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Omega, RandomForestClassifier, type Table, type Tensor } from '@omega/omega'

const store = process.env.OMEGA_S3_STORE
if (!store?.startsWith('s3://')) {
  console.error('set OMEGA_S3_STORE=s3://bucket/prefix (and AWS credentials, AWS_REGION, AWS_ENDPOINT_URL_S3 for a non-AWS service)')
  process.exit(2)
}
const role = process.argv[2]

if (role === 'trainer') {
  const om = await Omega.open({ store })
  await om.datasets.readCsv(fileURLToPath(new URL('../fixtures/datasets/iris.csv', import.meta.url)), 'iris', { types: { target: 'int32' } })
  await om.models.put(new RandomForestClassifier({ nEstimators: 25, seed: 7 }), 'iris-rf')
  const fitted = await om.runtime.model('iris-rf').fit('iris[^target]', 'iris[target]')
  await om.models.tag(`iris-rf@${fitted.version}`, 'serving')
  console.log(`[trainer] put iris (150 rows), fitted iris-rf@${fitted.version}, tagged serving`)
  await om.close()
} else if (role === 'predictor') {
  const om = await Omega.open({ store })
  // Poll the shared store until the trainer's tag appears (another machine would do the same).
  const deadline = Date.now() + 60_000
  while (!(await om.models.exists('iris-rf@serving'))) {
    if (Date.now() > deadline) throw new Error('no iris-rf@serving after 60 s')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const meta = (await om.models.metadata('iris-rf@serving'))!
  const y = await om.runtime.model('iris-rf@serving').predict<Tensor>('iris[^target]')
  const truth = Array.from((await om.datasets.get('iris[target]')) as Table, (r) => r.target as number)
  const predicted = y.toArray() as number[]
  const accuracy = predicted.filter((p, i) => p === truth[i]).length / truth.length
  console.log(`[predictor] found iris-rf@${meta.version} (fitted on ${JSON.stringify((meta.attributes.dataset as { Xname: string }).Xname)})`)
  console.log(`[predictor] rows 0, 75, 149 -> ${JSON.stringify([predicted[0], predicted[75], predicted[149]])}; accuracy ${accuracy.toFixed(3)}`)
  await om.close()
} else {
  // Both roles at once, as separate processes.
  const self = fileURLToPath(import.meta.url)
  const start = (name: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, self, name], { stdio: ['ignore', 'inherit', 'inherit'] })
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code}`))))
    })
  await Promise.all([start('predictor'), start('trainer')])
  const om = await Omega.open({ store })
  console.log(`store ${om.location}: models ${JSON.stringify(await om.models.list())}, datasets ${JSON.stringify(await om.datasets.list())}`)
  await om.close()
}
