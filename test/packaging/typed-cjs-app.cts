// A CommonJS TypeScript module (module NodeNext, .cts) importing omega: TypeScript >= 5.8 types
// require() of an ES module the way Node >= 20.19 runs it.
import omega = require('@omega/omega')

export async function openMemory(): Promise<string> {
  const om = await omega.Omega.open({ store: 'memory:' })
  const names = await om.datasets.list()
  await om.close()
  return names.join(',')
}
