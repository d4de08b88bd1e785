// Scale out: worker processes serve the runtime calls of an application through BullMQ queues on
// Redis, all of them sharing one S3 store. The application fits and predicts exactly as on the
// pool; each worker prints a line for every task it runs, so you see who ran what. A second worker
// also serves the label "gpu", and the fit asks for it with om.runtime.require({ label: 'gpu' }).
// Run against a Redis and any S3-compatible service (credentials from the standard AWS variables):
//   OMEGA_REDIS=redis://127.0.0.1:6379 OMEGA_S3_STORE=s3://my-bucket/demo AWS_REGION=eu-west-1 \
//     npx -y pnpm@10.34.9 example examples/cluster.ts
// On real hosts, run `omega worker --store s3://my-bucket/demo --redis redis://host:6379 --verbose` instead.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { BUILTINS_URL, Omega, RandomForestClassifier, type Tensor } from '@omega/omega'
import { startWorker } from '@omega/bullmq'

const store = process.env.OMEGA_S3_STORE
const redis = process.env.OMEGA_REDIS
if (!store?.startsWith('s3://') || !redis?.startsWith('redis://')) {
  console.error('set OMEGA_S3_STORE=s3://bucket/prefix and OMEGA_REDIS=redis://host:port (and AWS credentials, AWS_REGION, AWS_ENDPOINT_URL_S3 for a non-AWS service)')
  process.exit(2)
}
const [role, name, labels] = process.argv.slice(2)

if (role === 'worker') {
  const worker = await startWorker({
    store,
    redis,
    name: name!,
    plugins: [BUILTINS_URL],
    ...(labels && { labels: labels.split(',') }),
    log: (line) => console.log(`  [${name}] ${line}`),
  })
  console.log(`  [${name}] serving ${worker.queues.join(', ')}`)
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)))
} else {
  const self = fileURLToPath(import.meta.url)
  const workers: ChildProcess[] = []
  const start = (workerName: string, workerLabels = ''): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, self, 'worker', workerName, workerLabels], { stdio: ['ignore', 'pipe', 'inherit'] })
      workers.push(child)
      child.stdout!.on('data', (d: Buffer) => {
        process.stdout.write(d)
        if (d.toString().includes('serving')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`${workerName} exited with ${code}`)))
    })
  try {
    await Promise.all([start('worker-1'), start('worker-2', 'gpu')])
    const om = await Omega.open({ store, runtime: { type: 'bullmq', connection: redis } })
    await om.datasets.readCsv(fileURLToPath(new URL('../fixtures/datasets/iris.csv', import.meta.url)), 'iris', { types: { target: 'int32' } })
    await om.models.put(new RandomForestClassifier({ nEstimators: 25, seed: 7 }), 'iris-rf')
    const fitted = await om.runtime.require({ label: 'gpu' }).model('iris-rf').fit('iris[^target]', 'iris[target]')
    console.log(`fitted iris-rf@${fitted.version} on a "gpu" worker, by dataset name (the worker read iris from the store)`)
    // Concurrent predicts spread over both workers.
    const rows = [[5.1, 3.5, 1.4, 0.2], [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5]]
    const predicted = await Promise.all(rows.map((row) => om.runtime.model('iris-rf').predict<Tensor>([row])))
    console.log(`predicted ${JSON.stringify(predicted.map((y) => (y.toArray() as number[])[0]))} for rows of setosa, versicolor, virginica`)
    const all = await om.runtime.model('iris-rf').predict<Tensor>('iris[^target]')
    console.log(`predicted all ${all.shape[0]} rows by name; store ${om.location}`)
    await om.close()
  } finally {
    await Promise.all(workers.map((w) => new Promise((resolve) => (w.exitCode !== null ? resolve(undefined) : (w.once('exit', resolve), w.kill('SIGTERM'))))))
  }
}
