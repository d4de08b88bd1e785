import { errors, isArrowTable, isTensor } from '@omega/core'
import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow'
import type { FastifyInstance } from 'fastify'
import { bodyData } from '../input.js'
import { nameAfter } from '../request-names.js'
import { ASYNC_QUERY, NAME_PARAM, docPath, omegaFor, respond, type RouteContext } from '../route-context.js'
import { resultJson, tableRecords, tensorJson } from '../to-json.js'

const PREFIX = '/api/v1/dataset/'
/** The Arrow IPC stream media type, both for request bodies and for `Accept`. */
export const ARROW_STREAM = 'application/vnd.apache.arrow.stream'
const doc = docPath(`${PREFIX}:name`, { name: NAME_PARAM })

function arrowBody(body: Buffer): Table {
  try {
    const table = tableFromIPC(body)
    if (table.schema.fields.length === 0) throw new Error('no columns')
    return table
  } catch (cause) {
    throw errors.invalidArgument(`the request body is not an Arrow IPC stream (${cause instanceof Error ? cause.message : String(cause)})`)
  }
}

/** `GET|PUT|DELETE /api/v1/dataset/<name>`, JSON records or Arrow IPC streams. */
export function datasetRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.addContentTypeParser(ARROW_STREAM, { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  app.get(`${PREFIX}*`, {
    config: { requirement: 'read', ...doc },
    schema: { tags: ['datasets'], summary: `A dataset: { dataset, data: [records] }, or an Arrow stream with Accept: ${ARROW_STREAM}` },
  }, async (request, reply) => {
    const { name } = nameAfter(request, PREFIX)
    const value = await omegaFor(ctx, request).datasets.get(name)
    if (isArrowTable(value)) {
      if ((request.headers.accept ?? '').includes(ARROW_STREAM)) return reply.type(ARROW_STREAM).send(Buffer.from(tableToIPC(value as Table, 'stream')))
      return { dataset: name, data: tableRecords(value as Table) }
    }
    if (isTensor(value)) return { dataset: name, data: tensorJson(value) }
    if (value instanceof Uint8Array) return reply.type('application/octet-stream').send(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
    return { dataset: name, data: resultJson(value) }
  })

  app.put(`${PREFIX}*`, {
    config: { requirement: 'write', ...doc },
    schema: {
      tags: ['datasets'],
      summary: `Store a dataset from [records], { columns, data } or an Arrow stream (Content-Type: ${ARROW_STREAM}); ?append=true adds rows`,
      querystring: { type: 'object', properties: { append: { type: 'string', enum: ['true', 'false'] }, ...ASYNC_QUERY } },
    },
  }, async (request, reply) => {
    const { name } = nameAfter(request, PREFIX)
    const append = (request.query as { append?: string }).append === 'true'
    const data = Buffer.isBuffer(request.body) ? arrowBody(request.body) : bodyData(request.body)
    const om = omegaFor(ctx, request)
    return await respond(ctx, request, reply, async () => ({ dataset: name, result: resultJson(await om.datasets.put(data, name, { append })) }))
  })

  app.delete(`${PREFIX}*`, {
    config: { requirement: 'write', ...doc },
    schema: { tags: ['datasets'], summary: 'Drop a dataset: { dataset, result: true }', querystring: { type: 'object', properties: ASYNC_QUERY } },
  }, async (request, reply) => {
    const { name } = nameAfter(request, PREFIX)
    const om = omegaFor(ctx, request)
    return await respond(ctx, request, reply, async () => ({ dataset: name, result: await om.datasets.drop(name) }))
  })
}
