// The S3 backend's own behaviour on a real S3-protocol server process: the conditional-write
// probe and its refusal, error mapping, 409 retries, multipart uploads and their abort, request
// counts, two processes sharing one store, and the server killed mid-upload.
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CheckedBackend, Omega, OmegaError, collectBytes, sha256Hex } from '@omega/core'
import { rejectsWith } from '@omega/conformance'
import { S3Backend, type S3BackendOptions } from '@omega/s3'
import { BUCKET, R2_LIKE, useS3TestServer } from './s3-fixture.js'

const s3Server = useS3TestServer()
const KiB = 1024
const MiB = 1024 * KiB
const url = (): string => `s3://${BUCKET}/${randomUUID()}`
const backend = (options: S3BackendOptions = {}, location = url()): S3Backend => new S3Backend(location, s3Server().s3Options(options as Record<string, unknown>) as S3BackendOptions)
const pattern = (size: number, seed = 0): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251)

async function* pieces(bytes: Uint8Array, size: number, after?: (n: number) => Promise<void>): AsyncIterable<Uint8Array> {
  let n = 0
  for (let i = 0; i < bytes.byteLength; i += size) {
    yield bytes.subarray(i, i + size)
    await after?.(++n)
  }
}

async function scratchIds(b: S3Backend): Promise<string[]> {
  const ids: string[] = []
  for await (const entry of b.scratch.list()) ids.push(entry.id)
  return ids
}

describe('s3: opening', () => {
  it('a server that ignores conditional writes is refused with E_UNSUPPORTED naming singleWriter; with it, the store opens', async () => {
    const plain = { endpoint: s3Server().plainEndpoint }
    const location = url()
    const err = await rejectsWith(Omega.open({ store: backend(plain, location), runtime: 'inline' }), 'E_UNSUPPORTED')
    expect(err.message).toContain('s3: { singleWriter: true }')
    expect(err.message).toMatch(/ignores conditional writes \(a PUT with If-Match on a missing key succeeded\)/)
    expect(err.message).toContain('lose a version')
    const om = await Omega.open({ store: backend({ ...plain, singleWriter: true }, location), runtime: 'inline' })
    try {
      expect((await om.datasets.put({ a: 1 }, 'x')).version).toBe(1)
      expect(await om.datasets.get('x')).toEqual({ a: 1 })
    } finally {
      await om.close()
    }
    // the probe left nothing behind
    const b = backend({ ...plain, singleWriter: true }, location)
    await b.open()
    expect(await scratchIds(b)).toEqual([])
    await b.close()
  })

  it('the probe passes through the conditional-write gateway and learns that deletes are conditional too', async () => {
    await s3Server().resetStats()
    const b = backend()
    await b.open()
    await b.close()
    const { requests } = await s3Server().stats()
    expect(requests).toEqual({ HeadBucket: 1, PutObject: 3, DeleteObject: 2 })
  })

  it('a missing bucket is E_NOT_FOUND saying how to create it; createBucket: true creates it', async () => {
    const location = `s3://missing-${randomUUID().slice(0, 8)}/p`
    const err = await rejectsWith(Omega.open({ store: backend({}, location), runtime: 'inline' }), 'E_NOT_FOUND')
    expect(err.message).toMatch(/S3 bucket "missing-[0-9a-f]{8}" does not exist/)
    expect(err.message).toContain('aws s3 mb')
    expect(err.message).toContain('createBucket: true')
    const om = await Omega.open({ store: backend({ createBucket: true }, location), runtime: 'inline' })
    await om.datasets.put({ ok: true }, 'x')
    await om.close()
  })

  it('refused credentials are E_BACKEND naming the bucket, the key prefix and the operation, never a raw SDK error', async () => {
    const location = url()
    const err = await rejectsWith(
      Omega.open({ store: backend({ credentials: { accessKeyId: 'WRONG', secretAccessKey: 'x' } }, location), runtime: 'inline' }),
      'E_BACKEND',
    )
    expect(err.message).toContain(`S3 refused to open the store (HeadBucket) in ${location}`)
    expect(err.message).toMatch(/\((Forbidden, |InvalidAccessKeyId, )?HTTP 403\)/)
    expect(err.message).toMatch(/AWS_ACCESS_KEY_ID/)
    expect(err.details).toMatchObject({ bucket: BUCKET, op: 'open the store (HeadBucket)', status: 403 })
    expect(err.transient).toBe(false)
  })

  it('an unreachable server is E_BACKEND after the configured retries', async () => {
    const b = new S3Backend(url(), { ...s3Server().s3Options(), endpoint: 'http://127.0.0.1:9', maxAttempts: 2 } as S3BackendOptions)
    const err = await rejectsWith(Omega.open({ store: b, runtime: 'inline' }), 'E_BACKEND')
    expect(err.message).toContain('http://127.0.0.1:9')
    expect(err.transient).toBe(true)
  })

  it('bad URLs and options are E_INVALID_ARGUMENT', () => {
    for (const bad of ['s3://', 's3://A_B/x', 's3://ab/x', 's3://bucket/a//b', 's3://bucket/a/../b']) expect(() => new S3Backend(bad)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }) as Error)
    expect(() => new S3Backend('s3://bucket/x', { partSize: 0 })).toThrow(/s3.partSize must be a positive integer/)
    expect(new S3Backend('s3://bucket/a/b/').location).toBe('s3://bucket/a/b')
  })
})

describe('s3: compare-and-set', () => {
  it('409 ConditionalRequestConflict answers are retried', async () => {
    const b = new CheckedBackend(backend())
    await b.open()
    try {
      await s3Server().injectConflicts(3)
      const rev = await b.meta.put('k', { v: 1 }, { ifRevision: null })
      await s3Server().injectConflicts(2)
      await b.meta.put('k', { v: 2 }, { ifRevision: rev })
      expect((await b.meta.get('k'))?.doc).toEqual({ v: 2 })
    } finally {
      await s3Server().injectConflicts(0)
      await b.close()
    }
  })

  it('where deletes cannot be conditional, a delete leaves a tombstone that reads as absent and is replaced exactly once by a create', async () => {
    await s3Server().resetStats()
    const b = new CheckedBackend(backend({}, `s3://${R2_LIKE}/${randomUUID()}`))
    await b.open()
    try {
      const r1 = await b.meta.put('k', { v: 1 }, { ifRevision: null })
      await rejectsWith(b.meta.delete('k', { ifRevision: '"stale"' }), 'E_CONFLICT')
      await b.meta.delete('k', { ifRevision: r1 })
      expect(await b.meta.get('k')).toBeUndefined()
      await rejectsWith(b.meta.delete('k', { ifRevision: r1 }), 'E_NOT_FOUND')
      const listed: string[] = []
      for await (const d of b.meta.list('')) listed.push(d.key)
      expect(listed.filter((k) => k === 'k')).toEqual([])
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => b.meta.put('k', { v: i }, { ifRevision: null })))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      expect((await s3Server().stats()).requests.DeleteObject).toBe(2) // the probe's, none for the document
    } finally {
      await b.close()
    }
  })

  it('two processes putting one name get distinct versions and none is lost', async () => {
    const location = url()
    const entry = new URL('../dist/index.js', import.meta.url).href
    const core = import.meta.resolve('@omega/core')
    const run = (who: string): Promise<number[]> => {
      const script = `
        import { Omega } from ${JSON.stringify(core)}
        import { S3Backend } from ${JSON.stringify(entry)}
        const om = await Omega.open({ store: new S3Backend(process.argv[1], JSON.parse(process.argv[2])), runtime: 'inline' })
        const versions = []
        for (let i = 0; i < 15; i++) versions.push((await om.datasets.put({ who: process.argv[3], i }, 'shared')).version)
        console.log(JSON.stringify(versions))
        await om.close()`
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, location, JSON.stringify(s3Server().s3Options()), who], { stdio: ['ignore', 'pipe', 'inherit'] })
        let out = ''
        child.stdout.on('data', (d: Buffer) => (out += d.toString()))
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`writer ${who} exited with ${code}`))))
      })
    }
    const [a, b] = await Promise.all([run('a'), run('b')])
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    const om = await Omega.open({ store: backend({}, location), runtime: 'inline' })
    try {
      const revisions = await om.datasets.revisions('shared')
      expect(revisions).toHaveLength(30)
      expect(revisions.filter((r) => r.attributes.who === undefined)).toHaveLength(30)
      const docs = await Promise.all(revisions.map(async (r) => (await om.datasets.get(`shared@${r.version}`)) as { who: string }))
      expect(docs.filter((d) => d.who === 'a')).toHaveLength(15)
    } finally {
      await om.close()
    }
  }, 60_000)
})

describe('s3: blobs', () => {
  it('a blob above the multipart threshold goes up in parts; a source failing mid-upload aborts it and leaves nothing', async () => {
    const raw = backend({ multipartThreshold: 256 * KiB, partSize: 128 * KiB })
    const b = new CheckedBackend(raw)
    await b.open()
    try {
      await s3Server().resetStats()
      const bytes = pattern(MiB + 777)
      const ref = await b.blobs.write(pieces(bytes, 100_000))
      expect(ref.sha256).toBe(sha256Hex(bytes))
      let { requests } = await s3Server().stats()
      expect(requests).toMatchObject({ CreateMultipartUpload: 1, UploadPart: 9, CompleteMultipartUpload: 1, CopyObject: 1 })
      expect(Buffer.compare(Buffer.from(await collectBytes(b.blobs.read(ref.sha256))), Buffer.from(bytes))).toBe(0)

      await s3Server().resetStats()
      const failing = pieces(pattern(MiB, 7), 100_000, async (n) => {
        if (n === 6) throw new Error('source failed mid-upload')
      })
      await expect(b.blobs.write(failing)).rejects.toThrow('source failed mid-upload')
      ;({ requests } = await s3Server().stats())
      expect(requests).toMatchObject({ CreateMultipartUpload: 1, AbortMultipartUpload: 1 })
      expect(await scratchIds(raw)).toEqual([])
      const listed: string[] = []
      for await (const blob of b.blobs.list()) listed.push(blob.sha256)
      expect(listed).toEqual([ref.sha256])
    } finally {
      await b.close()
    }
  })

  it('a model put and get take a small number of requests that does not grow with the versions', async () => {
    const om = await Omega.open({ store: backend(), runtime: 'inline' })
    try {
      const counts: number[] = []
      for (let i = 0; i < 8; i++) {
        await s3Server().resetStats()
        await om.datasets.put({ w: i, weights: Array.from({ length: 100 }, (_, j) => j * i) }, 'model')
        await om.datasets.get('model')
        const { requests } = await s3Server().stats()
        counts.push(Object.values(requests).reduce((s, n) => s + n, 0))
      }
      expect(counts.at(-1)).toBe(counts.at(-3))
      expect(counts.at(-1)).toBeLessThanOrEqual(16)
    } finally {
      await om.close()
    }
  })
})

describe('s3: the server killed mid-upload', () => {
  for (const [what, opts] of [
    ['multipart', { multipartThreshold: 256 * KiB, partSize: 128 * KiB }],
    ['single PUT', { multipartThreshold: 64 * MiB }],
  ] as const) {
    it(`${what}: the put fails with an OmegaError; after a restart nothing partial is visible and the store verifies`, async () => {
      const location = url()
      const options = { ...opts, maxAttempts: 2, connectionTimeoutMs: 1000 }
      const om = await Omega.open({ store: backend(options, location), runtime: 'inline' })
      const bytes = pattern(what === 'multipart' ? 2 * MiB : 24 * MiB, 3)
      let killed: Promise<void> | undefined
      const source = pieces(bytes, 64 * KiB, async (n) => {
        if (what === 'multipart' && n === 8) await (killed = s3Server().kill())
        // single PUT: the body is sent after the whole source was read; the kill lands while it streams
        if (what === 'single PUT' && n * 64 * KiB >= bytes.byteLength) killed = new Promise((r) => setTimeout(r, 5)).then(() => s3Server().kill())
      })
      const err = await om.datasets.put(Readable.from(source), 'big').then(
        () => undefined,
        (e: unknown) => e,
      )
      await killed
      expect(OmegaError.is(err), String(err)).toBe(true)
      await om.close().catch(() => undefined)
      await s3Server().restart()

      const again = await Omega.open({ store: backend(options, location), runtime: 'inline' })
      try {
        expect(await again.datasets.list()).toEqual([])
        expect(await again.datasets.exists('big')).toBe(false)
        expect((await again.fsck()).problems).toEqual([])
        await again.fsck({ repair: true, graceMs: 0 })
        expect((await again.fsck({ graceMs: 0 })).problems).toEqual([])
        const raw = backend(options, location)
        await raw.open()
        expect(await scratchIds(raw)).toEqual([])
        await raw.close()
        // the same bytes put again read back whole (no half-written object is taken for them)
        await again.datasets.put(Readable.from(pieces(bytes, 64 * KiB)), 'big')
        const back = (await again.datasets.get('big')) as Uint8Array
        expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0)
      } finally {
        await again.close()
      }
    }, 60_000)
  }
})
