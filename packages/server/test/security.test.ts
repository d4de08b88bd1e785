import { Omega } from '@omega/omega'
import { createServer } from '@omega/server'
import { tempDir } from '@omega/conformance'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IRIS_COLUMNS, serve, withIris, type Served } from './serve.js'

const READER = 'reader-key-0123456789'
const PREDICTOR = 'predictor-key-0123456789'
const WRITER = 'writer-key-0123456789'
const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` })

let s: Served
beforeAll(async () => {
  s = await serve({
    bodyLimit: 4096,
    apiKeys: [
      { key: READER, actions: ['read'], buckets: ['default'] },
      { key: PREDICTOR, actions: ['read', 'predict'], id: 'predictor' },
      { key: WRITER, actions: ['read', 'predict', 'write'], buckets: ['default'] },
    ],
  })
  await withIris(s.om)
})
afterAll(async () => await s.close())

describe('REST security', () => {
  it('a missing or wrong API key is 401 and nothing runs', async () => {
    expect(await s.call('GET', '/api/v1/ping')).toMatchObject({ status: 401, json: { code: 'E_INVALID_ARGUMENT' } })
    const wrong = await s.call('PUT', '/api/v1/dataset/sneaky', { body: [{ x: 1 }], headers: bearer('not-a-key-at-all-000') })
    expect(wrong.status).toBe(401)
    expect(wrong.json.message).toContain('unknown API key')
    expect(await s.om.datasets.exists('sneaky')).toBe(false)
    expect((await s.call('GET', '/api/v1/ping', { headers: { authorization: `Basic ${READER}` } })).status).toBe(401)
  })

  it('a key without the action or the bucket is 403 and nothing runs', async () => {
    const put = await s.call('PUT', '/api/v1/dataset/sneaky', { body: [{ x: 1 }], headers: bearer(READER) })
    expect(put.status).toBe(403)
    expect(put.json.message).toContain('may not write')
    expect(await s.om.datasets.exists('sneaky')).toBe(false)
    const predict = await s.call('PUT', '/api/v1/model/iris/logreg/predict', { body: { columns: IRIS_COLUMNS, data: [[5.1, 3.5, 1.4, 0.2]] }, headers: bearer(READER) })
    expect(predict.status).toBe(403)
    const fit = await s.call('PUT', '/api/v1/model/iris/logreg/fit?datax=iris&datay=iris', { headers: bearer(PREDICTOR) })
    expect(fit.status).toBe(403)
    const bucket = await s.call('GET', '/api/v1/dataset/iris', { headers: { ...bearer(WRITER), bucket: 'prod' } })
    expect(bucket.status).toBe(403)
    expect(bucket.json.message).toContain('bucket "prod"')
  })

  it('keys with the right action and bucket go through', async () => {
    expect((await s.call('GET', '/api/v1/ping', { headers: bearer(READER) })).status).toBe(200)
    expect((await s.call('GET', '/api/v1/model/iris/logreg', { headers: bearer(READER) })).status).toBe(200)
    const predict = await s.call('PUT', '/api/v1/model/iris/logreg/predict', { body: { columns: IRIS_COLUMNS, data: [[5.1, 3.5, 1.4, 0.2]] }, headers: bearer(PREDICTOR) })
    expect(predict.json.result.label).toEqual([0])
    expect((await s.call('PUT', '/api/v1/dataset/ok', { body: [{ x: 1 }], headers: bearer(WRITER) })).status).toBe(200)
  })

  it('a task is visible only to the key that started it', async () => {
    const r = await s.call('PUT', '/api/v1/model/iris/logreg/predict?async=true', { body: [[5.1, 3.5, 1.4, 0.2]], headers: bearer(PREDICTOR) })
    expect(r.status).toBe(202)
    expect((await s.call('GET', r.headers.get('location')!, { headers: bearer(WRITER) })).status).toBe(404)
    expect((await s.call('GET', r.headers.get('location')!, { headers: bearer(PREDICTOR) })).status).toBe(200)
  })

  it('a body over the limit is 413 before it is parsed', async () => {
    const big = Array.from({ length: 500 }, (_, i) => ({ x: i, y: 'padding' }))
    const r = await s.call('PUT', '/api/v1/dataset/big', { body: big, headers: bearer(WRITER) })
    expect(r.status).toBe(413)
    expect(r.json).toEqual({ code: 'E_INVALID_ARGUMENT', message: 'the request body is larger than the limit of 4096 bytes' })
    expect(await s.om.datasets.exists('big')).toBe(false)
  })

  it('the OpenAPI document stays public (it holds no data)', async () => {
    expect((await s.call('GET', '/api/openapi.json')).status).toBe(200)
  })
})

describe('listening', () => {
  it('without API keys it refuses any host but loopback', async () => {
    const om = await Omega.open({ store: `fs:${tempDir('omega-server-')}`, runtime: 'inline' })
    try {
      const server = await createServer(om, {})
      await expect(server.listen({ port: 0, host: '0.0.0.0' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
      const url = await server.listen({ port: 0, host: '::1' })
      expect(url).toMatch(/^http:\/\/\[::1\]:\d+$/)
      await server.close()
      const keyed = await createServer(om, { apiKeys: { 'a-long-enough-key-123': { actions: ['read'] } } })
      expect(await keyed.listen({ port: 0, host: '0.0.0.0' })).toMatch(/:\d+$/)
      await keyed.close()
    } finally {
      await om.close()
    }
  })

  it('bad options are E_INVALID_ARGUMENT', async () => {
    const om = await Omega.open({ store: 'memory:', runtime: 'inline' })
    await expect(createServer(om, { apiKeys: [{ key: 'short' }] })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    await expect(createServer(om, { apiKeys: [{ key: 'a-long-enough-key-123', actions: ['admin'] }] })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    await expect(createServer(om, { bodyLimit: -1 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    await om.close()
  })
})
