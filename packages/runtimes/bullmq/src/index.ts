/**
 * **@omega/bullmq**: omega's runtime calls on worker processes on other hosts, through BullMQ
 * queues on Redis, with a store they share (S3 or a shared fs path).
 *
 * ```ts
 * const om = await Omega.open({ store: 's3://bucket/prefix', s3, runtime: { type: 'bullmq', connection: { host, port } } })
 * await om.runtime.require({ label: 'gpu' }).model('big').fit('data[^y]', 'data[y]')
 * ```
 * Workers: `omega worker --store s3://bucket/prefix --redis redis://host:6379 [--labels gpu]`, or {@link startWorker}.
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import { BullmqRuntime } from './bullmq-runtime.js'
import type { BullmqSettings } from './bullmq-settings.js'

export { BullmqRuntime, type JobData, type JobResult } from './bullmq-runtime.js'
export { startWorker, type WorkerOptions, type WorkerHandle } from './start-worker.js'
export type { BullmqSettings, RedisConnection } from './bullmq-settings.js'

/** Registers the `bullmq` runtime: `Omega.open({ runtime: { type: 'bullmq', connection, queue } })`. */
const plugin: Plugin = (api) => {
  api.registerRuntime('bullmq', async (host) => await BullmqRuntime.start(host, (host.options.runtime ?? {}) as BullmqSettings))
}
export default plugin
