// A worker process for tests, examples and benchmarks: startWorker with the options in argv[2]
// (JSON), one log line per task on stdout, "ready" once it serves, a clean stop on SIGTERM.
import { startWorker } from '@omega/bullmq'

const options = JSON.parse(process.argv[2])
const worker = await startWorker({ ...options, log: (line) => process.stdout.write(`${line}\n`) })
process.stdout.write('ready\n')
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0))
})
