import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type Served } from './serve.js'

let s: Served
beforeAll(async () => {
  s = await serve()
})
afterAll(async () => await s.close())

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3 document listing every route', async () => {
    const r = await s.call('GET', '/api/openapi.json')
    expect(r.status).toBe(200)
    const result = await new Validator().validate(r.json)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(Object.keys(r.json.paths).sort()).toEqual([
      '/api/v1/dataset/{name}',
      '/api/v1/job/{name}',
      '/api/v1/model/{name}',
      '/api/v1/model/{name}/{operation}',
      '/api/v1/ping',
      '/api/v1/script/{name}/run',
      '/api/v1/task/{id}/result',
      '/api/v1/task/{id}/status',
    ])
  })

  it('serves the docs UI at /api/docs', async () => {
    const res = await fetch(`${s.url}/api/docs`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('swagger')
  })
})
