// Type-checked (strict, exactOptionalPropertyTypes, skipLibCheck false) by the packaging test in an
// app that installed @omega/omega and @omega/bullmq from their tarballs; never run.
import { Omega } from '@omega/omega'
import plugin, { startWorker, type BullmqSettings, type WorkerHandle, type WorkerOptions } from '@omega/bullmq'

const settings: BullmqSettings = { connection: { host: '127.0.0.1', port: 6379 }, queue: 'omega' }
export async function app(): Promise<void> {
  const om = await Omega.open({ store: 'fs:./store', runtime: { type: 'bullmq', ...settings } })
  await om.runtime.require({ label: 'gpu' }).model('m').fit('d[^y]', 'd[y]')
  await om.close()
}
const options: WorkerOptions = { store: 'fs:./store', redis: 'redis://127.0.0.1:6379', labels: ['gpu'], concurrency: 2 }
export const worker: Promise<WorkerHandle> = startWorker(options)
export const registered: typeof plugin = plugin
