// Backend choice: OMEGA_TFJS_BACKEND=wasm runs everything on @tensorflow/tfjs-backend-wasm (an
// optional peer, installed here as a dev dependency); an unknown name is refused.
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { PLUGIN, POOL_PLUGIN } from './models.js'

/** Runs a script in a fresh Node process (the backend is chosen once per process and thread). */
function node(script: string, env: Record<string, string>): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env }, cwd: import.meta.dirname, timeout: 60_000 })
}

const SCRIPT = `
import * as tf from '@tensorflow/tfjs'
import { Omega } from '@omega/core'
import { tfjsBackend } from '@omega/tfjs'
const om = await Omega.open({ store: 'memory:', plugins: [${JSON.stringify(PLUGIN)}, ${JSON.stringify(POOL_PLUGIN)}], runtime: 'pool', threads: 1 })
const backend = await tfjsBackend()
const m = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: 'relu' }), tf.layers.dense({ units: 1 })] })
m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' })
await om.models.put(m, 'm')
const X = [[1, 2, 3, 4], [0, 1, 0, 1], [5, 4, 3, 2]]
const fitted = await om.runtime.model('m').fit(X, [1, 0, 2], { params: { epochs: 3 } })
const back = await om.models.get('m@1')
const same = Array.from(back.predict(tf.tensor2d(X)).dataSync()).every((v, i) => v === m.predict(tf.tensor2d(X)).dataSync()[i])
const pooled = await om.runtime.model('m@1').predict(X)
const direct = back.predict(tf.tensor2d(X)).dataSync()
console.log(JSON.stringify({ backend, worker: fitted.attributes.metrics.backend, same, pooledSame: Array.from(pooled.data).every((v, i) => v === direct[i]) }))
await om.close()
`

describe('tfjs backends', () => {
  it('OMEGA_TFJS_BACKEND=wasm: this thread and the workers run on wasm; put/get and pool predictions are bit-identical', () => {
    const out = JSON.parse(node(SCRIPT, { OMEGA_TFJS_BACKEND: 'wasm' }).trim().split('\n').at(-1)!) as Record<string, unknown>
    expect(out).toEqual({ backend: 'wasm', worker: 'wasm', same: true, pooledSame: true })
  })

  it('without OMEGA_TFJS_BACKEND, the workers pick wasm when @tensorflow/tfjs-backend-wasm is installed; cpu when forced', () => {
    const env = { ...process.env }
    delete env.OMEGA_TFJS_BACKEND
    const picked = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env, cwd: import.meta.dirname }).trim().split('\n').at(-1)!) as Record<string, unknown>
    // The script asks omega first, before it initialised any backend itself: wasm on both threads.
    expect(picked).toEqual({ backend: 'wasm', worker: 'wasm', same: true, pooledSame: true })
    const cpu = JSON.parse(node(SCRIPT, { OMEGA_TFJS_BACKEND: 'cpu' }).trim().split('\n').at(-1)!) as Record<string, unknown>
    expect(cpu).toEqual({ backend: 'cpu', worker: 'cpu', same: true, pooledSame: true })
  })

  it('an unknown OMEGA_TFJS_BACKEND is E_INVALID_ARGUMENT naming the choices', () => {
    const script = `import { tfjsBackend } from '@omega/tfjs'\ntry { await tfjsBackend() } catch (e) { console.log(e.code, e.message) }`
    const out = node(script, { OMEGA_TFJS_BACKEND: 'gpu' })
    expect(out).toContain('E_INVALID_ARGUMENT')
    expect(out).toContain('cpu, wasm, tensorflow')
  })
})
