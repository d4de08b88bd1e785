/**
 * The plugin that makes `@omega/omega` batteries-included: the LevelDB (default), fs and memory
 * stores, the ml.js estimators, ONNX models and the worker-pool runtime, all at built-in priority so that user plugins win. It is
 * named by URL, so worker threads load exactly the same set.
 *
 * @packageDocumentation
 */
import type { Plugin } from '@omega/core'
import fsPlugin from '@omega/fs'
import levelPlugin from '@omega/level'
import mljsPlugin from '@omega/mljs'
import poolPlugin from '@omega/pool'
import onnxPlugin from '@omega/onnx'

const builtins: Plugin = async (api) => {
  await levelPlugin(api)
  await fsPlugin(api)
  await mljsPlugin(api)
  await onnxPlugin(api)
  await poolPlugin(api)
}
export default builtins

/** The URL workers import to register the same built-ins. */
export const BUILTINS_URL: string = import.meta.url
