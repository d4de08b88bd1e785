// The whole ONNX suite again on onnxruntime-web, the WebAssembly build @omega/onnx falls back to
// when the application has not installed onnxruntime-node. The variable is read when the first
// session is created (in this process and in pool workers, which inherit the environment), so it
// is set before the suite is imported.
import { expect, it } from 'vitest'

process.env.OMEGA_ONNX_RUNTIME = 'web'
const { onnxRuntime } = await import('@omega/onnx')
await import('./onnx.test.js')

it('runs on onnxruntime-web', async () => {
  expect(await onnxRuntime()).toBe('onnxruntime-web')
})
