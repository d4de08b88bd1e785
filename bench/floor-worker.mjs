// The floor of a pool call, for `bench --scope onnx`: a bare worker thread (or a bare Piscina task)
// that echoes its message, or runs the fixture MLP on one row with a single-threaded session (as
// omega's pool workers do). Plain JavaScript so that a worker thread loads it without a loader.
import { parentPort, workerData } from 'node:worker_threads'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const { InferenceSession, Tensor } = createRequire(import.meta.url)('onnxruntime-node')
const session = await InferenceSession.create(new Uint8Array(readFileSync(new URL('../fixtures/onnx/mlp_breast_cancer.onnx', import.meta.url))), {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
})

/** `'echo'` comes back as is; a Float32Array of 30 values is one row to predict. */
export default async function handle(message) {
  if (!(message instanceof Float32Array)) return message
  const out = await session.run({ X: new Tensor('float32', message, [1, 30]) })
  return Object.values(out)[0].data
}

if (parentPort && workerData?.raw) parentPort.on('message', async (message) => parentPort.postMessage(await handle(message)))
