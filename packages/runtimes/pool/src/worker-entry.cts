/**
 * The file Piscina loads in each worker thread (`@omega/pool/worker`): a CommonJS module whose
 * export is the promise of the ES worker's task function, which Piscina awaits.
 *
 * Why Piscina is not handed `worker.js` itself: it loads a worker file with `require()` first, and
 * on Node 20 (seen on 20.20.2) a thread terminated while `require()` is loading an ES module graph
 * (a pool closed, or a task aborted or timed out, while a worker starts) aborts the whole process
 * with "v8::Module::IsGraphAsync must be used on an instantiated module". `import()` has no such
 * window, and `require()` of this file loads no ES module.
 */
import type { TaskFunction } from './worker.js'

const task: Promise<TaskFunction> = import('./worker.js').then((worker) => worker.default)
export = task
