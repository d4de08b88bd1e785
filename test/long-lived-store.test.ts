// Issue 10, "Done when": a long-lived fs store used by two processes at once — puts of identical and
// distinct bytes, table appends and replaces, drops — with random SIGKILLs, ends with fsck finding
// nothing it cannot repair, nothing at all on a second run, and every surviving object reading back
// as its last committed (or, for an operation cut by a kill, its previous or next) state.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Omega, type Table } from '@omega/omega'
import { tempDir } from '@omega/conformance'

const omegaEntry = new URL('../packages/omega/dist/index.js', import.meta.url).href

/** Content number c → its bytes; the same in both processes, so they share blobs. */
function content(c: number): Uint8Array {
  const size = 1000 + ((c * 7919) % 60_000)
  return Uint8Array.from({ length: size }, (_, i) => (i * (c + 3)) % 251)
}

const worker = `
  import { Omega } from ${JSON.stringify(omegaEntry)}
  const [store, who, seedText] = process.argv.slice(1)
  let seed = Number(seedText)
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const content = ${content.toString()}
  const om = await Omega.open({ store, fs: { fsync: false } })
  const say = (line) => process.stdout.write(line + '\\n')
  const table = who + '-t'
  let rows = 0
  const run = async (op, fn) => { say('B ' + JSON.stringify(op)); await fn(); say('E') }
  // A new worker first replaces its table: an append cut by a kill leaves it either way.
  await run({ name: table, op: 'table', rows: [0] }, () => om.datasets.put([{ x: 0 }], table))
  say('READY')
  for (let i = 1; ; i++) {
    const r = rand(10)
    const name = who + '-' + rand(6)
    if (r < 5) {
      const c = rand(8)
      await run({ name, op: 'put', c }, () => om.datasets.put(content(c), name))
    } else if (r < 7) {
      await run({ name, op: 'drop' }, () => om.datasets.drop(name, { force: true }))
    } else if (r < 9) {
      const n = 1 + rand(20)
      const add = Array.from({ length: n }, (_, k) => i * 100 + k)
      await run({ name: table, op: 'append', add }, () => om.datasets.put(add.map((x) => ({ x })), table, { append: true }))
    } else {
      await run({ name: table, op: 'table', rows: [i] }, () => om.datasets.put([{ x: i }], table))
    }
  }
`

type State = { kind: 'absent' } | { kind: 'bytes'; c: number } | { kind: 'table'; rows: number[] }
interface Op {
  name: string
  op: 'put' | 'drop' | 'append' | 'table'
  c?: number
  add?: number[]
  rows?: number[]
}

function apply(state: State, op: Op): State {
  if (op.op === 'put') return { kind: 'bytes', c: op.c! }
  if (op.op === 'drop') return { kind: 'absent' }
  if (op.op === 'table') return { kind: 'table', rows: op.rows! }
  return { kind: 'table', rows: [...(state.kind === 'table' ? state.rows : []), ...op.add!] }
}

describe('a long-lived store [slow]', () => {
  it('two processes, ~1,000 puts/appends/drops, random SIGKILLs: fsck repairs everything and every object reads back', async () => {
    const dir = tempDir('omega-longlived-')
    const store = `fs:${dir}`
    /** Per name: the states it may be in (more than one after an operation cut by a kill). */
    const states = new Map<string, State[]>()
    const possible = (name: string): State[] => states.get(name) ?? [{ kind: 'absent' }]
    let committed = 0
    let kills = 0
    let seed = 12345

    const life = (who: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', worker, store, who, String(seed++)], { stdio: ['ignore', 'pipe', 'inherit'] })
        let pending: Op | undefined
        let buffer = ''
        let timer: NodeJS.Timeout | undefined
        child.stdout!.on('data', (d: Buffer) => {
          buffer += d.toString()
          let nl: number
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl)
            buffer = buffer.slice(nl + 1)
            if (line.startsWith('B ')) pending = JSON.parse(line.slice(2)) as Op
            else if (line === 'E') {
              states.set(pending!.name, [apply(possible(pending!.name).at(-1)!, pending!)])
              committed++
              pending = undefined
            } else if (line === 'READY') {
              timer = setTimeout(() => child.kill('SIGKILL'), 150 + Math.random() * 900)
            }
          }
        })
        child.on('exit', (code, signal) => {
          clearTimeout(timer)
          if (signal !== 'SIGKILL') return reject(new Error(`worker ${who} exited with ${code}`))
          kills++
          if (pending) {
            // Cut by the kill: the operation took effect or it did not.
            const before = possible(pending.name)
            states.set(pending.name, [...before, ...before.map((s) => apply(s, pending!))])
          }
          resolve()
        })
      })

    const run = async (who: string): Promise<void> => {
      while (committed < 1000) await life(who)
    }
    const started = Date.now()
    await Promise.all([run('a'), run('b')])
    console.log(`${committed} operations committed, ${kills} kills, ${Date.now() - started} ms`)
    expect(kills).toBeGreaterThanOrEqual(4)

    const om = await Omega.open({ store })
    try {
      const first = await om.fsck({ repair: true, graceMs: 0 })
      const found: Record<string, number> = {}
      for (const p of first.problems) found[p.kind] = (found[p.kind] ?? 0) + 1
      console.log(`first fsck: ${JSON.stringify(found)} repaired; ${first.checked} blobs, ${first.bytes} bytes verified`)
      const unrepaired = first.problems.filter((p) => !p.repaired)
      expect(unrepaired).toEqual([])
      expect(first.problems.every((p) => p.kind === 'orphan' || p.kind === 'stale-temp')).toBe(true)
      const second = await om.fsck({ repair: true, graceMs: 0 })
      expect(second.problems).toEqual([])

      const listed = new Set(await om.datasets.list())
      for (const [name, options] of states) {
        const ok = options.map((s) => JSON.stringify(s))
        let actual: State
        if (!listed.has(name)) actual = { kind: 'absent' }
        else if (name.endsWith('-t')) {
          const table = (await om.datasets.get(name)) as Table
          actual = { kind: 'table', rows: Array.from(table.getChild('x')!.toArray() as ArrayLike<number>, Number) }
        } else {
          const bytes = Buffer.from((await om.datasets.get(name)) as Uint8Array)
          const c = [0, 1, 2, 3, 4, 5, 6, 7].find((k) => Buffer.compare(bytes, Buffer.from(content(k))) === 0)
          actual = c === undefined ? { kind: 'bytes', c: -1 } : { kind: 'bytes', c }
        }
        expect(ok, `${name} reads back as one of its possible states`).toContain(JSON.stringify(actual))
      }
      expect(second.checked).toBeGreaterThan(0)
    } finally {
      await om.close()
    }
  }, 120_000)
})
