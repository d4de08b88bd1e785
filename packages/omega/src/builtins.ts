/**
 * The plugin that makes `@omega/omega` batteries-included: the LevelDB (default), fs and memory
 * stores, the ml.js estimators and the worker-pool runtime, plus the framework handlers the
 * application has installed (`@omega/onnx`, `@omega/tfjs`), all at built-in priority so that user plugins win. It
 * is named by URL, so worker threads load exactly the same set.
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import fsPlugin from '@omega/fs'
import levelPlugin from '@omega/level'
import mljsPlugin from '@omega/mljs'
import poolPlugin from '@omega/pool'
import { registerOptionalPlugins } from './optional-plugins.js'

const builtins: Plugin = async (api) => {
  await levelPlugin(api)
  await fsPlugin(api)
  await mljsPlugin(api)
  await registerOptionalPlugins(api)
  await poolPlugin(api)
}
export default builtins

/** The URL workers import to register the same built-ins. */
export const BUILTINS_URL: string = import.meta.url
