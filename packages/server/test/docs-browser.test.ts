// The docs page driven in a real headless Chromium (Debian's package, through puppeteer-core, which
// downloads no browser): Swagger UI renders the operations from /api/openapi.json and one call made
// from the page reaches the real server.
import { existsSync } from 'node:fs'
import { tempDir } from '@omega/conformance'
import { Omega } from '@omega/omega'
import { createServer, type OmegaServer } from '@omega/server'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withIris } from './serve.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
// Where apt-get is absent .ci/run cannot install Chromium; the skip then says why in the test name.
const SKIPPED = HAVE_CHROMIUM ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium, or set CHROMIUM_PATH)`
// The machine running the suite is shared and slow to start a browser.
const SLOW = 120_000

let om: Omega
let server: OmegaServer
let url: string
let browser: Browser | undefined
let page: Page
const received: Array<{ method: string; url: string; status: number }> = []

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return
  om = await Omega.open({ store: `fs:${tempDir('omega-docs-browser-')}`, runtime: 'inline' })
  await withIris(om)
  server = await createServer(om)
  // Hooks must be added before listen: this records what actually reached the server.
  server.fastify.addHook('onResponse', async (request, reply) => {
    received.push({ method: request.method, url: request.url, status: reply.statusCode })
  })
  url = await server.listen({ port: 0, host: '127.0.0.1' })
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container: Chromium's sandbox needs user namespaces it does not get here.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: SLOW,
  })
  page = await browser.newPage()
  page.setDefaultTimeout(SLOW)
}, SLOW)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await om?.close()
}, SLOW)

describe.skipIf(!HAVE_CHROMIUM)(`docs page in headless Chromium${SKIPPED}`, () => {
  it('renders the operations list from the OpenAPI document', async () => {
    await page.goto(`${url}/api/docs`, { waitUntil: 'load' })
    await page.waitForSelector('.opblock-summary-path[data-path="/api/v1/ping"]')
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')))
    expect(paths).toContain('/api/v1/ping')
    expect(paths).toContain('/api/v1/model/{name}/{operation}')
    expect(paths).toContain('/api/v1/dataset/{name}')
    // The UI loads its document from the swagger-ui plugin's own route, the same document as /api/openapi.json.
    expect(received).toContainEqual({ method: 'GET', url: '/api/docs/json', status: 200 })
  }, SLOW)

  it('makes GET /api/v1/ping from the page: Try it out, Execute, 200 with an ISO time', async () => {
    const before = received.filter((r) => r.url === '/api/v1/ping').length
    const block = '.opblock-get:has(.opblock-summary-path[data-path="/api/v1/ping"])'
    await page.click(`${block} .opblock-summary`)
    // The block expands with an animation: wait for each button before clicking it.
    await (await page.waitForSelector(`${block} .try-out__btn`, { visible: true }))!.click()
    await (await page.waitForSelector(`${block} .execute`, { visible: true }))!.click()
    const status = await page.waitForSelector(`${block} .live-responses-table tr.response .response-col_status`)
    expect((await status!.evaluate((e) => e.textContent ?? '')).trim()).toBe('200')
    const bodyText = await page.$eval(`${block} .live-responses-table tr.response .response-col_description pre`, (e) => e.textContent ?? '')
    const body = JSON.parse(bodyText) as { ping: string }
    expect(new Date(body.ping).toISOString()).toBe(body.ping)
    const pings = received.filter((r) => r.url === '/api/v1/ping')
    expect(pings.length).toBe(before + 1)
    expect(pings.at(-1)).toEqual({ method: 'GET', url: '/api/v1/ping', status: 200 })
  }, SLOW)
})
