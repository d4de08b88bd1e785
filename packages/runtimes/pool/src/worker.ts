/**
 * The pool's worker: loads the instance's plugins once (so user estimators, handlers and backends
 * are registered exactly as in the application), then executes tasks with core's one execution
 * path, keeping an LRU of deserialised models by sha256. Results go back with their buffers
 * transferred, not copied.
 *
 * @packageDocumentation
 */
import { workerData } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { ModelCache, PluginHost, executeTask, type TaskOutcome } from '@omega/core'
import { ProgressSender } from './progress-channel.js'
import { MIN_TRANSFER_BYTES, type WorkerMessage } from './pool-runtime.js'

interface PoolWorkerData {
  readonly plugins: readonly string[]
  readonly cacheSize: number
}

const data = workerData as PoolWorkerData
const host = new PluginHost()
await host.load(data.plugins)
const env = { handlers: host.handlers, cache: new ModelCache(data.cacheSize) }

/** The shape of the worker's task function, as Piscina calls it. */
export type TaskFunction = (message: WorkerMessage) => Promise<unknown>

/** Runs one task; never throws (errors come back as data). */
export default async function run(message: WorkerMessage): Promise<unknown> {
  const progress = message.progress && new ProgressSender(message.progress)
  let outcome: TaskOutcome
  try {
    outcome = await executeTask(message, env, {}, progress?.report)
  } finally {
    progress?.end()
  }
  return movable(outcome)
}

/**
 * Wraps an outcome so Piscina transfers the ArrayBuffers of its result instead of copying them;
 * an outcome with nothing worth transferring (a hot predict's few rows) goes as it is.
 */
function movable(outcome: TaskOutcome): unknown {
  const buffers = new Set<ArrayBuffer>()
  const add = (bytes: Uint8Array): void => {
    if (bytes.buffer instanceof ArrayBuffer && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength >= MIN_TRANSFER_BYTES) buffers.add(bytes.buffer)
  }
  if (outcome.ok) {
    const r = outcome.result
    if (r.type === 'tensor') add(r.data.bytes)
    else if (r.type === 'tensors') Object.values(r.data).forEach((d) => add(d.bytes))
    else if (r.type === 'model') Object.values(r.parts).forEach(add)
  }
  if (buffers.size === 0) return outcome
  const transfers = [...buffers]
  return Piscina.move({
    get [Piscina.transferableSymbol]() {
      return transfers
    },
    get [Piscina.valueSymbol]() {
      return outcome
    },
  } as unknown as Parameters<typeof Piscina.move>[0])
}
