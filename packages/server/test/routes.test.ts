import { request as httpRequest } from 'node:http'
import { Table, Utf8, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow'
import { DecisionTreeClassifier } from 'ml-cart'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IRIS_COLUMNS, serve, withIris, type Served } from './serve.js'

let s: Served
beforeAll(async () => {
  s = await serve()
  await withIris(s.om)
})
afterAll(async () => await s.close())

describe('REST routes (real server, real fetch)', () => {
  it('GET /api/v1/ping answers the time', async () => {
    const r = await s.call('GET', '/api/v1/ping')
    expect(r.status).toBe(200)
    expect(Number.isNaN(Date.parse(r.json.ping))).toBe(false)
  })

  it('GET /api/v1/model/<name> with "/" raw or %2F-encoded, and @version', async () => {
    for (const path of ['iris/logreg', 'iris%2Flogreg', 'iris%2Flogreg%401', 'iris/logreg@latest']) {
      const r = await s.call('GET', `/api/v1/model/${path}`)
      expect(r.status, path).toBe(200)
      expect(r.json.result).toMatchObject({ name: 'iris/logreg', kind: 'onnx.model', version: 1 })
    }
    const missing = await s.call('GET', '/api/v1/model/nope')
    expect(missing).toMatchObject({ status: 404, json: { code: 'E_NOT_FOUND' } })
    expect(missing.json.message).toContain('nope')
  })

  it('predicts from { columns, data }, from records and from ?datax=', async () => {
    const rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
    const a = await s.call('PUT', '/api/v1/model/iris%2Flogreg/predict', { body: { columns: IRIS_COLUMNS, data: rows } })
    expect(a.status).toBe(200)
    expect(a.json.model).toBe('iris/logreg')
    expect(a.json.result.label).toEqual([0, 2])
    expect(a.json.result.probabilities).toHaveLength(2)
    const records = rows.map((r) => Object.fromEntries(IRIS_COLUMNS.map((c, i) => [c, r[i]])))
    const b = await s.call('PUT', '/api/v1/model/iris/logreg/predict', { body: records })
    expect(b.json.result.label).toEqual([0, 2])
    const c = await s.call('PUT', `/api/v1/model/iris/logreg/predict?datax=${encodeURIComponent('iris[^target]')}`)
    expect(c.status).toBe(200)
    expect(c.json.result.label).toHaveLength(150)
  })

  it('a wrong shape is 400 with the message; an unknown operation is 400', async () => {
    const r = await s.call('PUT', '/api/v1/model/iris/logreg/predict', { body: { data: [[1, 2]] } })
    expect(r.status).toBe(400)
    expect(r.json.code).toMatch(/^E_(DATA_SHAPE|INVALID_ARGUMENT)$/)
    expect(r.json.message).toMatch(/2/)
    expect(Object.keys(r.json).sort()).toEqual(['code', 'message'])
    const ragged = await s.call('PUT', '/api/v1/model/iris/logreg/predict', { body: { columns: IRIS_COLUMNS, data: [[1, 2]] } })
    expect(ragged).toMatchObject({ status: 400, json: { code: 'E_DATA_SHAPE' } })
    const op = await s.call('PUT', '/api/v1/model/iris/logreg/explode', { body: [] })
    expect(op).toMatchObject({ status: 400, json: { code: 'E_INVALID_ARGUMENT' } })
  })

  it('malformed JSON is 400 with omega’s error shape, never fastify’s', async () => {
    const r = await s.call('PUT', '/api/v1/model/iris/logreg/predict', { raw: '{"data": [[1,2', headers: { 'content-type': 'application/json' } })
    expect(r.status).toBe(400)
    expect(r.json.code).toBe('E_INVALID_ARGUMENT')
    expect(r.json.message).toContain('not valid JSON')
    expect(r.json).not.toHaveProperty('statusCode')
  })

  it('a name with ".." is refused before anything runs (encoded, and raw over http)', async () => {
    const r = await s.call('PUT', '/api/v1/dataset/a%2F..%2Firis', { body: [{ x: 1 }] })
    expect(r).toMatchObject({ status: 400, json: { code: 'E_INVALID_NAME' } })
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // node's http client sends the path as given; fetch and URL would resolve the "..".
      const { hostname, port } = new URL(s.url)
      const req = httpRequest({ hostname, port, path: '/api/v1/dataset/a/../iris', method: 'GET' }, (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
      })
      req.on('error', reject)
      req.end()
    })
    expect(raw.status).toBe(400)
    expect(JSON.parse(raw.body).code).toBe('E_INVALID_NAME')
    expect(await s.om.datasets.list()).toEqual(['iris'])
  })

  it('datasets: PUT records, GET records and Arrow, PUT Arrow with ?append=true, DELETE', async () => {
    const put = await s.call('PUT', '/api/v1/dataset/sales%2F2026', { body: [{ region: 'n', amount: 1.5 }, { region: 's', amount: 2 }] })
    expect(put.status).toBe(200)
    expect(put.json.result).toMatchObject({ name: 'sales/2026', kind: 'arrow.table' })
    const more = tableToIPC(new Table({ region: vectorFromArray(['e'], new Utf8()), amount: vectorFromArray([3]) }), 'stream')
    const app = await s.call('PUT', '/api/v1/dataset/sales/2026?append=true', { raw: more, headers: { 'content-type': 'application/vnd.apache.arrow.stream' } })
    expect(app.status).toBe(200)
    const got = await s.call('GET', '/api/v1/dataset/sales/2026')
    expect(got.json).toEqual({ dataset: 'sales/2026', data: [{ region: 'n', amount: 1.5 }, { region: 's', amount: 2 }, { region: 'e', amount: 3 }] })
    const arrow = await s.call('GET', '/api/v1/dataset/sales/2026', { headers: { accept: 'application/vnd.apache.arrow.stream' } })
    expect(arrow.headers.get('content-type')).toContain('arrow')
    expect(tableFromIPC(arrow.json as Uint8Array).numRows).toBe(3)
    const cols = await s.call('GET', `/api/v1/dataset/${encodeURIComponent('sales/2026[amount]')}`)
    expect(cols.json.data).toEqual([{ amount: 1.5 }, { amount: 2 }, { amount: 3 }])
    const bad = await s.call('PUT', '/api/v1/dataset/junk', { raw: new Uint8Array([1, 2, 3]), headers: { 'content-type': 'application/vnd.apache.arrow.stream' } })
    expect(bad).toMatchObject({ status: 400, json: { code: 'E_INVALID_ARGUMENT' } })
    expect(await s.om.datasets.exists('junk')).toBe(false)
    const del = await s.call('DELETE', '/api/v1/dataset/sales/2026')
    expect(del.json).toEqual({ dataset: 'sales/2026', result: true })
    expect((await s.call('GET', '/api/v1/dataset/sales/2026')).status).toBe(404)
  })

  it('fit, score and predict_proba with ?datax=&datay=, then name^ is the previous version', async () => {
    await s.om.models.put(new DecisionTreeClassifier(), 'tree')
    const fit = await s.call('PUT', `/api/v1/model/tree/fit?datax=${encodeURIComponent('iris[^target]')}&datay=${encodeURIComponent('iris[target]')}`)
    expect(fit.status).toBe(200)
    expect(fit.json.result).toMatchObject({ name: 'tree', version: 2 })
    const score = await s.call('PUT', `/api/v1/model/tree/score?datax=${encodeURIComponent('iris[^target]')}&datay=${encodeURIComponent('iris[target]')}`)
    expect(score.json.result).toBeTypeOf('number')
    const prev = await s.call('GET', `/api/v1/model/${encodeURIComponent('tree^')}`)
    expect(prev.json.result.version).toBe(1)
    const noY = await s.call('PUT', `/api/v1/model/tree/fit?datax=iris`)
    expect(noY).toMatchObject({ status: 400, json: { code: 'E_INVALID_ARGUMENT' } })
    expect((await s.om.models.revisions('tree')).length).toBe(2)
  })

  it('?async=true answers 202 with Location; the task result and status follow', async () => {
    const r = await s.call('PUT', '/api/v1/model/iris/logreg/predict?async=true', { body: { columns: IRIS_COLUMNS, data: [[5.1, 3.5, 1.4, 0.2]] } })
    expect(r.status).toBe(202)
    const location = r.headers.get('location')!
    expect(location).toBe(`/api/v1/task/${r.json.taskId}/result`)
    let result = await s.call('GET', location)
    while (result.json.status === 'pending') result = await s.call('GET', location)
    expect(result.json).toMatchObject({ taskId: r.json.taskId, status: 'success', result: { model: 'iris/logreg', result: { label: [0] } } })
    const status = await s.call('GET', `/api/v1/task/${r.json.taskId}/status`)
    expect(status.json).toEqual({ taskId: r.json.taskId, status: 'success' })
    const failing = await s.call('PUT', '/api/v1/model/nope/predict?async=true', { body: [[1]] })
    let f = await s.call('GET', failing.headers.get('location')!)
    while (f.json.status === 'pending') f = await s.call('GET', failing.headers.get('location')!)
    expect(f.json).toMatchObject({ status: 'failure', error: { code: 'E_NOT_FOUND', status: 404 } })
    expect((await s.call('GET', '/api/v1/task/no-such-task/result')).status).toBe(404)
  })

  it('the bucket header selects the bucket; a bad bucket name is 400', async () => {
    const put = await s.call('PUT', '/api/v1/dataset/only-in-b2', { body: [{ x: 1 }], headers: { bucket: 'b2' } })
    expect(put.json.result.bucket).toBe('b2')
    expect((await s.call('GET', '/api/v1/dataset/only-in-b2')).status).toBe(404)
    expect((await s.call('GET', '/api/v1/dataset/only-in-b2', { headers: { bucket: 'b2' } })).status).toBe(200)
    expect((await s.call('GET', '/api/v1/dataset/x', { headers: { bucket: '..' } })).json.code).toBe('E_INVALID_NAME')
  })

  it('unknown routes are 404 in omega’s error shape', async () => {
    const r = await s.call('GET', '/api/v2/nothing')
    expect(r).toMatchObject({ status: 404, json: { code: 'E_NOT_FOUND' } })
  })
})
