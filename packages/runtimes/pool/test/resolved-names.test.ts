import { Omega, type Tensor } from '@omega/core'
import { RunningMean, TEST_PLUGIN_URL, tempDir } from '@omega/conformance'
import { LevelBackend } from '@omega/level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const POOL_PLUGIN = new URL('../dist/index.js', import.meta.url).href

// The runtime remembers which version a name addresses between calls; every write must be seen.
describe.each(['inline', 'pool'] as const)('%s: a hot name follows puts, tags and drops', (runtime) => {
  let om: Omega
  beforeAll(async () => {
    om = await Omega.open({ plugins: [POOL_PLUGIN, TEST_PLUGIN_URL], store: new LevelBackend(tempDir('omega-names-')), runtime, threads: 2 })
  })
  afterAll(async () => {
    await om?.close()
  })
  const mean = (y: number): RunningMean => new RunningMean().fit([[0]], [y])
  const predict = async (name: string): Promise<number> => ((await om.runtime.model(name).predict<Tensor>([[0]])).toArray() as number[])[0]!

  it('latest, a tag, a version and ^ after put, tag, untag, drop and replace', async () => {
    await om.models.put(mean(1), 'm')
    expect(await predict('m')).toBe(1)
    await om.models.put(mean(2), 'm')
    expect(await predict('m')).toBe(2)
    expect(await predict('m^')).toBe(1)
    await om.models.tag('m@1', 'production')
    expect(await predict('m@production')).toBe(1)
    await om.models.tag('m@2', 'production')
    expect(await predict('m@production')).toBe(2)
    await om.models.untag('m', 'production')
    await expect(om.runtime.model('m@production').predict([[0]])).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    await om.models.drop('m@2')
    expect(await predict('m')).toBe(1)
    await expect(om.runtime.model('m@2').predict([[0]])).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    await om.models.put(mean(3), 'm', { replace: true })
    expect(await predict('m')).toBe(3)
    await om.models.drop('m')
    await expect(om.runtime.model('m').predict([[0]])).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
  })

  it('a fit through the runtime is seen by the next predict of the same name', async () => {
    await om.models.put(mean(5), 'f')
    expect(await predict('f')).toBe(5)
    await om.runtime.model('f').fit([[0], [0]], [7, 9])
    expect(await predict('f')).toBe(8)
  })
})
