import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { Omega } from '@omega/core'
import { RunningMean, TEST_PLUGIN_URL, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import { describe, expect, it } from 'vitest'

const POOL_PLUGIN = new URL('../dist/index.js', import.meta.url).href
/** What `@omega/pool/worker` names, as an application handing omega its own Piscina would resolve it. */
const ENTRY = createRequire(import.meta.url).resolve('@omega/pool/worker')

// On Node 20 a thread terminated while require() loads an ES module graph aborts the whole process
// (a fatal V8 check), and Piscina loads its worker file with require(): the file it loads must be
// CommonJS that reaches the ES worker through import().
describe('starting pool workers', () => {
  it('require() of the worker entry loads no ES module: it returns the pending promise of the task function', async () => {
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads')
       const task = require(${JSON.stringify(ENTRY)})
       const pending = task instanceof Promise
       task.then((fn) => parentPort.postMessage({ pending, type: typeof fn }), (err) => parentPort.postMessage({ pending, error: String(err) }))`,
      { eval: true, workerData: { plugins: [], cacheSize: 1 } },
    )
    const answer = await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    expect(answer).toEqual({ pending: true, type: 'function' })
  })

  it('pools closed at any moment of their workers\' start leave the process running, and the next pool serves', async () => {
    const dir = tempDir('omega-pool-start-')
    // Close times spread over a worker's start (about 150-400 ms here: bootstrap, module graph, plugins).
    for (let i = 0; i < 12; i++) {
      const om = await Omega.open({ plugins: [POOL_PLUGIN, TEST_PLUGIN_URL], store: new LevelBackend(`${dir}/${i}`), runtime: 'pool', threads: 2 })
      await new Promise((resolve) => setTimeout(resolve, (i * 37) % 400))
      await om.close({ abortRunning: i % 2 === 0 })
    }
    const om = await Omega.open({ plugins: [POOL_PLUGIN, TEST_PLUGIN_URL], store: new LevelBackend(`${dir}/last`), runtime: 'pool', threads: 2 })
    try {
      await om.models.put(new RunningMean().fit([[0]], [5]), 'm')
      expect((await om.runtime.model('m').predict([[0]])).toArray()).toEqual([5])
    } finally {
      await om.close()
    }
  })
})
