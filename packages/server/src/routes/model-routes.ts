import { errors, type ModelProxy } from '@omega/core'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Action } from '../server-options.js'
import { bodyData } from '../input.js'
import { nameAfter, queryName } from '../request-names.js'
import { ASYNC_QUERY, NAME_PARAM, docPath, omegaFor, respond, type RouteContext } from '../route-context.js'
import { predictionJson, resultJson } from '../to-json.js'

const PREFIX = '/api/v1/model/'
/** URL operation → what it needs from an API key. */
const OPERATIONS: Readonly<Record<string, Action>> = { predict: 'predict', predict_proba: 'predict', transform: 'predict', score: 'predict', fit: 'write', partial_fit: 'write' }

function operationAction(request: FastifyRequest): Action {
  const path = (request.raw.url ?? '').split('?', 1)[0]!
  return OPERATIONS[path.slice(path.lastIndexOf('/') + 1)] ?? 'write'
}

type Query = { datax?: string; datay?: string; async?: string }

async function runOperation(model: ModelProxy, op: string, query: Query, body: unknown, timeoutMs: number | undefined): Promise<unknown> {
  const datax = queryName(query.datax, 'datax')
  const datay = queryName(query.datay, 'datay')
  const options = timeoutMs === undefined ? {} : { timeoutMs }
  const X = () => datax ?? bodyData(body)
  const Y = () => {
    if (datay === undefined) throw errors.invalidArgument(`${op} needs the target dataset: ?datay=<dataset>`)
    return datay
  }
  switch (op) {
    case 'predict':
      return predictionJson(await model.predict(X(), options))
    case 'predict_proba':
      return resultJson(await model.predictProba(X(), options))
    case 'transform':
      return resultJson(await model.transform(X(), options))
    case 'score':
      return await model.score(X(), Y(), options)
    case 'fit':
      return resultJson(await model.fit(X(), Y(), options))
    case 'partial_fit':
      return resultJson(await model.partialFit(X(), Y(), options))
    default:
      throw errors.invalidArgument(`unknown model operation "${op}": use one of ${Object.keys(OPERATIONS).join(', ')}`)
  }
}

/** `GET /api/v1/model/<name>` and `PUT /api/v1/model/<name>/<operation>`. */
export function modelRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(`${PREFIX}*`, {
    config: { requirement: 'read', ...docPath(`${PREFIX}:name`, { name: NAME_PARAM }) },
    schema: { tags: ['models'], summary: "A model's metadata: { model, result: Metadata }" },
  }, async (request) => {
    const { name } = nameAfter(request, PREFIX)
    const om = omegaFor(ctx, request)
    const meta = await om.models.metadata(name)
    if (!meta) throw errors.notFound('model', name, om.bucketName)
    return { model: name, result: resultJson(meta) }
  })

  app.put(`${PREFIX}*`, {
    config: {
      requirement: operationAction,
      ...docPath(`${PREFIX}:name/:operation`, { name: NAME_PARAM, operation: { type: 'string', enum: Object.keys(OPERATIONS) } }),
    },
    schema: {
      tags: ['models'],
      summary: 'Run a model: predict (body { columns, data } or [records], or ?datax=), predict_proba, transform, score, fit, partial_fit (?datax=&datay=)',
      querystring: {
        type: 'object',
        properties: { datax: { type: 'string', description: 'dataset name for X (selectors allowed)' }, datay: { type: 'string', description: 'dataset name for Y' }, ...ASYNC_QUERY },
      },
    },
  }, async (request, reply) => {
    const { name, op } = nameAfter(request, PREFIX, true)
    if (op === undefined || !(op in OPERATIONS)) throw errors.invalidArgument(`unknown model operation "${op ?? ''}": use one of ${Object.keys(OPERATIONS).join(', ')}`)
    const query = request.query as Query
    queryName(query.datax, 'datax')
    queryName(query.datay, 'datay')
    const model = omegaFor(ctx, request).runtime.model(name)
    return await respond(ctx, request, reply, async () => ({ model: name, result: await runOperation(model, op, query, request.body, ctx.options.timeoutMs) }))
  })
}
