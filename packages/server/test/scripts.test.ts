import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type Served } from './serve.js'

let s: Served
beforeAll(async () => {
  s = await serve()
  await s.om.datasets.put([{ region: 'east', amount: 3 }, { region: 'west', amount: 4 }, { region: 'east', amount: 5 }], 'sales')
  await s.om.scripts.put(
    `export async function run(om, { source, target }) {
      const totals = {}
      for (const row of await om.datasets.get(source)) totals[row.region] = (totals[row.region] ?? 0) + row.amount
      await om.datasets.put(Object.entries(totals).map(([region, total]) => ({ region, total })), target)
      return totals
    }`,
    'summary',
  )
  await s.om.scripts.put(`export function run() { throw new Error('no data today') }`, 'broken')
  await s.om.jobs.schedule('summary', 'daily at 06:00', { args: { source: 'sales', target: 'sales-by-region' }, timezone: 'UTC' })
})
afterAll(async () => await s.close())

describe('script and job routes (real server, real fetch)', () => {
  it('POST /api/v1/script/<name>/run runs the script with the body as args', async () => {
    const r = await s.call('POST', '/api/v1/script/summary/run', { body: { source: 'sales', target: 'by-region' } })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ script: 'summary', result: { east: 8, west: 4 }, durationMs: expect.any(Number) })
    expect(Date.parse(r.json.endedAt)).toBeGreaterThanOrEqual(Date.parse(r.json.startedAt))
    expect(await s.om.datasets.exists('by-region')).toBe(true)
  })

  it('a script that throws answers 500 E_WORKER with its message; a missing one 404; a bad operation 400', async () => {
    const broken = await s.call('POST', '/api/v1/script/broken/run', { body: {} })
    expect(broken.status).toBe(500)
    expect(broken.json.code).toBe('E_WORKER')
    expect(broken.json.message).toContain('no data today')
    expect(Object.keys(broken.json).sort()).toEqual(['code', 'message'])
    expect((await s.call('POST', '/api/v1/script/nope/run', { body: {} })).status).toBe(404)
    expect((await s.call('POST', '/api/v1/script/summary/go', { body: {} })).json.code).toBe('E_INVALID_ARGUMENT')
  })

  it('runs a script as an async task', async () => {
    const r = await s.call('POST', '/api/v1/script/summary/run?async=true', { body: { source: 'sales', target: 'async-by-region' } })
    expect(r.status).toBe(202)
    const location = r.headers.get('location')!
    let task = await s.call('GET', location)
    for (let i = 0; i < 100 && task.json.status === 'pending'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      task = await s.call('GET', location)
    }
    expect(task.json).toMatchObject({ status: 'success', result: { script: 'summary', result: { east: 8, west: 4 } } })
  })

  it('GET /api/v1/job/<name> answers the job, its next runs and the runs of its script', async () => {
    const r = await s.call('GET', '/api/v1/job/summary')
    expect(r.status).toBe(200)
    expect(r.json.job).toBe('summary')
    expect(r.json.result.job).toMatchObject({ script: 'summary', cron: '0 6 * * *' })
    expect(r.json.result.next).toHaveLength(3)
    expect(r.json.result.next[0]).toMatch(/T06:00:00\.000Z$/)
    expect(r.json.result.runs.length).toBeGreaterThanOrEqual(1)
    expect(r.json.result.runs[0]).toMatchObject({ script: 'summary', status: 'success' })
    expect((await s.call('GET', '/api/v1/job/nope')).status).toBe(404)
  })
})
