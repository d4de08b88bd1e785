// omega benchmarks: `npx -y pnpm@10.34.9 bench [--scope <name>[,<name>…]|all] [--reporter table|json]`; the scopes are listed below.
// Every figure is a ratio against the raw library doing the same work in the same run.
import { parseArgs } from 'node:util'
import { storeScope, versionsScope } from './scope-store.js'
import { datasetsScope } from './scope-datasets.js'
import { runtimeScope } from './scope-runtime.js'
import { onnxScope } from './scope-onnx.js'
import { gcScope } from './scope-gc.js'
import { dsvScope } from './scope-dsv.js'
import { scriptsScope } from './scope-scripts.js'
import { faststoreScope } from './scope-faststore.js'
import { trackingScope } from './scope-tracking.js'
import { s3Scope } from './scope-s3.js'
import { tfjsScope } from './scope-tfjs.js'
import { archiveScope } from './scope-archive.js'
import { serverScope } from './scope-server.js'
import { bullmqScope } from './scope-bullmq.js'
import type { Row } from './stats.js'

const { values } = parseArgs({
  options: { scope: { type: 'string', default: 'all' }, reporter: { type: 'string', default: 'table' } },
})
const scopes: Record<string, () => Promise<Row[]>> = {
  store: storeScope,
  versions: versionsScope,
  datasets: datasetsScope,
  runtime: runtimeScope,
  onnx: onnxScope,
  gc: gcScope,
  dsv: dsvScope,
  scripts: scriptsScope,
  faststore: faststoreScope,
  tracking: trackingScope,
  s3: s3Scope,
  tfjs: tfjsScope,
  archive: archiveScope,
  server: serverScope,
  bullmq: bullmqScope,
}
const chosen = values.scope === 'all' ? Object.keys(scopes) : values.scope!.split(',')
const results: Record<string, Row[]> = {}
console.log(`omega bench — node ${process.version}, ${new Date().toISOString()}`)
for (const name of chosen) {
  const scope = scopes[name]
  if (!scope) throw new Error(`unknown scope "${name}" (scopes: ${Object.keys(scopes).join(', ')})`)
  results[name] = await scope()
}
if (values.reporter === 'json') console.log(JSON.stringify(results, null, 2))
