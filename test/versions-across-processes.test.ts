// Version numbering is race-free across processes (fs is multi-process), and promotion works from
// one instance to another on a different backend (LevelDB dev → fs prod).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { DecisionTreeClassifier } from 'ml-cart'
import { describe, expect, it } from 'vitest'
import { Omega } from '@omega/omega'
import { tempDir } from '@omega/conformance'

const omegaEntry = new URL('../packages/omega/dist/index.js', import.meta.url).href

function run(store: string, who: string, count: number): Promise<number[]> {
  const script = `
    import { Omega } from ${JSON.stringify(omegaEntry)}
    import { DecisionTreeClassifier } from 'ml-cart'
    const om = await Omega.open({ store: process.argv[1] })
    const tree = new DecisionTreeClassifier({ maxDepth: 2 })
    tree.train([[0], [1], [2], [3]], [0, 0, 1, 1])
    const versions = []
    for (let i = 0; i < ${count}; i++) versions.push((await om.models.put(tree, 'shared', { attributes: { who: process.argv[2], i } })).version)
    console.log(JSON.stringify(versions))
    await om.close()
  `
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, store, who], { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`putter ${who} exited with ${code}`))))
  })
}

describe('versions across processes', () => {
  it('two processes putting one name on fs get distinct versions and none is lost', async () => {
    const store = `fs:${tempDir('omega-2proc-')}`
    const [a, b] = await Promise.all([run(store, 'a', 20), run(store, 'b', 20)])
    const all = [...a!, ...b!].sort((x, y) => x - y)
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    const om = await Omega.open({ store })
    try {
      const revisions = await om.models.revisions('shared')
      expect(revisions).toHaveLength(40)
      expect(revisions.filter((r) => r.attributes.who === 'a')).toHaveLength(20)
    } finally {
      await om.close()
    }
  }, 60_000)

  it('promotes from a LevelDB dev instance to an fs prod instance, independent of the source', async () => {
    const dev = await Omega.open({ store: `level:${tempDir('omega-dev-')}` })
    const prod = await Omega.open({ store: `fs:${tempDir('omega-prod-')}` })
    try {
      const tree = new DecisionTreeClassifier({ maxDepth: 2 })
      tree.train([[0], [1], [2], [3]], [0, 0, 1, 1])
      await dev.models.put(tree, 'clf', { tag: 'production', attributes: { owner: 'ana' } })
      const meta = await dev.models.promote('clf@production', prod.models, { attributes: { approvedBy: 'ben' } })
      expect(meta.attributes).toMatchObject({ owner: 'ana', approvedBy: 'ben', promotedFrom: { bucket: 'default', name: 'clf', version: 1 } })
      expect((meta.attributes.promotedFrom as { store: string }).store).toMatch(/^level:/)
      await dev.models.drop('clf')
      const back = (await prod.models.get('clf')) as DecisionTreeClassifier
      expect(back.predict([[0], [3]])).toEqual([0, 1])
      const lineage = await prod.models.lineage('clf')
      expect(lineage.at(-1)).toMatchObject({ relation: 'promotedFrom', store: expect.stringMatching(/^level:/) as string, unreachable: true })
    } finally {
      await dev.close()
      await prod.close()
    }
  })
})
