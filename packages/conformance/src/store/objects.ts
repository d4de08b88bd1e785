import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Table } from 'apache-arrow'
import { OmegaError, type Artifacts, type CsvColumnType, type Handler, type JsonObject } from '@omega/core'
import { describe, expect, it } from 'vitest'
import { rejectsWith, tempDir, type BackendSuiteOptions } from '../context.js'
import { openStore, snapshot } from './open-store.js'

const HOSTILE = [
  '../x', 'a/../../etc/passwd', 'a//b', 'a/./b', '/abs', 'nul\u0000byte', 'x'.repeat(513), 'back\\slash', '..', '.', 'a/',
  // Lone surrogates: as UTF-8 both become U+FFFD, so they would be one object.
  'user\uD800', 'user\uDC00', 'a/\uDBFF', '\uDE00\uD83D',
  // C1 controls and DEL.
  'next\u0085line', 'csi\u009B', 'pad\u0080', 'del\u007F',
]

/** Valid names that are long in bytes: 499 characters of 2, 3 and 4 UTF-8 bytes, in one segment or many. */
export const LONG_NAMES = [
  '日'.repeat(499),
  Array.from({ length: 24 }, () => '日'.repeat(20)).join('/').slice(0, 499),
  Array.from({ length: 130 }, () => 'é😀').join('/').slice(0, 499),
  `${'ü'.repeat(250)}/${'€'.repeat(248)}`,
]

/** Store behaviour on the backend: names, errors, listing, buckets, failed puts. */
export function objectTests(options: BackendSuiteOptions, bucket: string): void {
  describe(`objects (bucket ${bucket})`, () => {
    it.each(HOSTILE.map((n) => [JSON.stringify(n).slice(0, 40), n]))('rejects hostile name %s with E_INVALID_NAME and writes nothing', async (_, name) => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        await rejectsWith(om.datasets.put({ a: 1 }, name), 'E_INVALID_NAME')
        await rejectsWith(om.models.put(new (await import('./open-store.js')).TestLinear(), name), 'E_INVALID_NAME')
        await rejectsWith(om.datasets.get(name), 'E_INVALID_NAME')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await close()
      }
    })

    it('a loop of store calls never holds the event loop: a timer fires while it runs', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.datasets.put({ a: 1 }, 'pace/x')
        // Backends may complete calls without waiting (synchronous reads of small documents); an
        // await of such calls alone would starve timers and I/O, so calls must still yield.
        let fired = false
        setTimeout(() => {
          fired = true
        }, 1)
        const until = Date.now() + 3000
        while (!fired && Date.now() < until) {
          await om.datasets.metadata('pace/x')
          await om.datasets.exists('pace/y')
          await om.datasets.list('pace/*')
        }
        expect(fired).toBe(true)
      } finally {
        await close()
      }
    })

    it('put/get/exists/metadata/drop of JSON and bytes', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const meta = await om.datasets.put({ rows: [1, 2, 3] }, 'team/config', { attributes: { owner: 'ana' } })
        expect(meta).toMatchObject({ name: 'team/config', bucket, prefix: 'data/', kind: 'json', attributes: { owner: 'ana' } })
        expect(JSON.parse(JSON.stringify(meta))).toEqual(meta)
        expect(await om.datasets.get('team/config')).toEqual({ rows: [1, 2, 3] })
        expect(await om.datasets.exists('team/config')).toBe(true)
        expect((await om.datasets.metadata('team/config'))?.sha256).toBe(meta.sha256)
        const again = await om.datasets.put({ rows: [] }, 'team/config', { attributes: { stage: 'dev' } })
        expect(again.attributes).toEqual({ owner: 'ana', stage: 'dev' })
        // Datasets are versioned (SPEC §8): a put is a new version with its own createdAt.
        expect(again.version).toBe(meta.version! + 1)
        expect(again.createdAt >= meta.createdAt).toBe(true)
        const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256)
        expect((await om.datasets.put(bytes, 'blob')).kind).toBe('file')
        expect(Buffer.from((await om.datasets.get('blob')) as Uint8Array)).toEqual(Buffer.from(bytes))
        expect(await om.datasets.drop('team/config')).toBe(true)
        expect(await om.datasets.exists('team/config')).toBe(false)
        expect(await om.datasets.metadata('team/config')).toBeUndefined()
      } finally {
        await close()
      }
    })

    it('unknown names: E_NOT_FOUND naming the object; drop with force is quiet', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const err = await rejectsWith(om.datasets.get('nope'), 'E_NOT_FOUND')
        expect(err.message).toContain('nope')
        await rejectsWith(om.models.get('nope'), 'E_NOT_FOUND')
        await rejectsWith(om.datasets.drop('nope'), 'E_NOT_FOUND')
        expect(await om.datasets.drop('nope', { force: true })).toBe(true)
        expect(await om.datasets.exists('nope')).toBe(false)
      } finally {
        await close()
      }
    })

    it('a value no handler supports is E_UNSUPPORTED naming its type, and nothing is written', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        class Mystery {
          readonly x = () => 1
        }
        const err = await rejectsWith(om.models.put(new Mystery(), 'm'), 'E_UNSUPPORTED')
        expect(err.message).toContain('Mystery')
        await rejectsWith(om.datasets.put(new Mystery(), 'm'), 'E_UNSUPPORTED')
        await rejectsWith(om.datasets.put({ a: 1 }, 'm', { kind: 'no.such.kind' }), 'E_UNSUPPORTED')
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await close()
      }
    })

    it('a handler that throws mid-put leaves no metadata and no blob', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        const failing: Handler = {
          kind: 'test.failing',
          stores: ['datasets'],
          supports: (v) => v instanceof Map,
          async serialize(): Promise<Artifacts> {
            async function* parts(): AsyncIterable<Uint8Array> {
              yield new Uint8Array(1000).fill(1)
              throw new Error('serialiser exploded')
            }
            return { kindMeta: {}, parts: { ok: new Uint8Array(500).fill(2), bad: parts() } }
          },
          deserialize: async () => new Map(),
        }
        om.registerHandler(failing)
        await expect(om.datasets.put(new Map(), 'broken')).rejects.toThrow('serialiser exploded')
        expect(await om.datasets.exists('broken')).toBe(false)
        expect(await snapshot(raw)).toEqual({ docs: [], blobs: [] })
      } finally {
        await close()
      }
    })

    it('replace: false refuses to overwrite', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        await om.datasets.put([1], 'once')
        const err = await rejectsWith(om.datasets.put([2], 'once', { replace: false }), 'E_CONFLICT')
        expect(OmegaError.is(err)).toBe(true)
        expect(await om.datasets.get('once')).toEqual([1])
      } finally {
        await close()
      }
    })

    it('lists sorted names with globs, regexps, kinds, temp and hidden names', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        for (const n of ['b', 'a', 'a/x', '_tmp', '.hidden', 'dir/.h', 'iris', 'iris-2']) await om.datasets.put({ n }, n)
        await om.datasets.put(Uint8Array.of(1), 'bytes')
        expect(await om.datasets.list()).toEqual(['a', 'a/x', 'b', 'bytes', 'iris', 'iris-2'])
        expect(await om.datasets.list('iris*')).toEqual(['iris', 'iris-2'])
        expect(await om.datasets.list('a*')).toEqual(['a'])
        expect(await om.datasets.list('a/*')).toEqual(['a/x'])
        expect(await om.datasets.list('**')).toEqual(['a', 'a/x', 'b', 'bytes', 'iris', 'iris-2'])
        expect(await om.datasets.list('^i', { regexp: true })).toEqual(['iris', 'iris-2'])
        expect(await om.datasets.list(undefined, { kind: 'file' })).toEqual(['bytes'])
        expect(await om.datasets.list(undefined, { includeTemp: true })).toContain('_tmp')
        expect(await om.datasets.list(undefined, { hidden: true })).toEqual(expect.arrayContaining(['.hidden', 'dir/.h']))
        const raw = await om.datasets.list('iris', { raw: true })
        expect(raw.map((m) => m.name)).toEqual(['iris'])
        expect(await om.datasets.drop('iris*')).toBe(true)
        expect(await om.datasets.list('iris*')).toEqual([])
        await rejectsWith(om.datasets.drop('zzz*'), 'E_NOT_FOUND')
      } finally {
        await close()
      }
    })

    it('names of 499 multi-byte characters round-trip: put, get, list, drop', async () => {
      const { om, raw, close } = await openStore(options, bucket)
      try {
        for (const [i, name] of LONG_NAMES.entries()) {
          expect(name.length).toBeGreaterThanOrEqual(498)
          expect((await om.datasets.put({ i }, name)).name).toBe(name)
          await om.datasets.put({ i, again: true }, name)
        }
        expect(await om.datasets.list()).toEqual([...LONG_NAMES].sort())
        for (const [i, name] of LONG_NAMES.entries()) {
          expect(await om.datasets.get(name)).toEqual({ i, again: true })
          expect(await om.datasets.list(name)).toEqual([name])
          const firstSegment = name.split('/')[0]!
          expect(await om.datasets.list(`${firstSegment.slice(0, 5)}*`)).toEqual(LONG_NAMES.filter((n) => !n.includes('/') && n.startsWith(firstSegment.slice(0, 5))))
        }
        for (const name of LONG_NAMES) expect(await om.datasets.drop(name)).toBe(true)
        expect(await om.datasets.list()).toEqual([])
        expect((await snapshot(raw)).docs).toEqual([])
      } finally {
        await close()
      }
    })

    it('attribute keys named like Object.prototype members are kept like any other', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const attributes = JSON.parse('{"__proto__":{"polluted":1},"constructor":"c","hasOwnProperty":2,"toString":{"a":1}}') as JsonObject
        const meta = await om.datasets.put({ v: 1 }, 'proto-keys', { attributes })
        expect(Object.keys(meta.attributes).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])
        const again = await om.datasets.put({ v: 2 }, 'proto-keys', { attributes: JSON.parse('{"__proto__":{"more":2},"toString":{"b":2}}') as JsonObject })
        expect(JSON.parse(JSON.stringify(again.attributes))).toEqual(JSON.parse('{"__proto__":{"polluted":1,"more":2},"constructor":"c","hasOwnProperty":2,"toString":{"a":1,"b":2}}'))
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
        expect(Object.getPrototypeOf((await om.datasets.metadata('proto-keys'))!.attributes)).toBe(Object.prototype)
      } finally {
        await close()
      }
    })

    it('columns named like Object.prototype members are columns like any other (records, ragged records, CSV)', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const names = ['__proto__', 'constructor', 'hasOwnProperty', 'toString']
        const record = (values: number[]): Record<string, number> => Object.fromEntries(names.map((n, i) => [n, values[i]!]))
        await om.datasets.put([record([1, 2, 3, 4]), record([5, 6, 7, 8])], 'proto-columns')
        const table = (await om.datasets.get('proto-columns')) as Table
        expect(table.schema.fields.map((f) => f.name)).toEqual(names)
        // Column by column: Arrow's own row.toJSON() assigns keys and so drops "__proto__".
        expect(names.map((n) => [...table.getChild(n)!])).toEqual([[1, 5], [2, 6], [3, 7], [4, 8]])
        // A record lacking "constructor" has null there, not Object.
        await om.datasets.put([{ a: 1, constructor: 2 }, { a: 3 }], 'ragged')
        expect([...((await om.datasets.get('ragged')) as Table).getChild('constructor')!]).toEqual([2, null])
        const csv = join(tempDir('omega-csv-'), 'proto.csv')
        writeFileSync(csv, `${names.join(',')},a\n1,2,3,4,x\n5,6,7,8,y\n`)
        const typings: (Record<string, CsvColumnType> | undefined)[] = [undefined, { a: 'utf8' }, JSON.parse('{"constructor":"int32"}') as Record<string, CsvColumnType>]
        for (const types of typings) {
          const meta = await om.datasets.readCsv(csv, 'proto-csv', types && { types })
          expect((meta.kindMeta.columns as { name: string }[]).map((c) => c.name)).toEqual([...names, 'a'])
        }
        const err = await rejectsWith(om.datasets.readCsv(csv, 'proto-csv2', { columns: ['valueOf'] }), 'E_INVALID_ARGUMENT')
        expect(err.message).toContain('its columns: __proto__, constructor, hasOwnProperty, toString, a')
      } finally {
        await close()
      }
    })

    it('buckets are isolated and listed', async () => {
      const { om, close } = await openStore(options, bucket)
      try {
        const other = om.bucket('other-bucket')
        expect(other.bucketName).toBe('other-bucket')
        expect(om.bucketName).toBe(bucket)
        await om.datasets.put({ v: 'mine' }, 'shared-name')
        await other.datasets.put({ v: 'theirs' }, 'shared-name')
        expect(await om.datasets.get('shared-name')).toEqual({ v: 'mine' })
        expect(await other.datasets.get('shared-name')).toEqual({ v: 'theirs' })
        await other.datasets.put({}, 'only-there')
        expect(await om.datasets.exists('only-there')).toBe(false)
        expect(await om.buckets()).toEqual([bucket, 'other-bucket'].sort())
        await rejectsWith(Promise.resolve().then(() => om.bucket('a/b')), 'E_INVALID_NAME')
        await rejectsWith(Promise.resolve().then(() => om.bucket('b\uD800')), 'E_INVALID_NAME')
        await rejectsWith(Promise.resolve().then(() => om.bucket('b\u0085')), 'E_INVALID_NAME')
      } finally {
        await close()
      }
    })
  })
}
