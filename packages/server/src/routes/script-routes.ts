import { errors } from '@omega/core'
import type { FastifyInstance } from 'fastify'
import { nameAfter } from '../request-names.js'
import { ASYNC_QUERY, NAME_PARAM, docPath, omegaFor, respond, type RouteContext } from '../route-context.js'
import { resultJson } from '../to-json.js'

const SCRIPT = '/api/v1/script/'
const JOB = '/api/v1/job/'

/** `POST /api/v1/script/<name>/run` (body = args) and `GET /api/v1/job/<name>`. */
export function scriptRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(`${SCRIPT}*`, {
    // A script may write anything through its om: running one needs the write action.
    config: { requirement: 'write', ...docPath(`${SCRIPT}:name/run`, { name: NAME_PARAM }) },
    schema: {
      tags: ['scripts'],
      summary: 'Run a stored script with the JSON body as its args: { script, result, startedAt, endedAt, durationMs }',
      querystring: { type: 'object', properties: { ...ASYNC_QUERY } },
    },
  }, async (request, reply) => {
    const { name, op } = nameAfter(request, SCRIPT, true)
    if (op !== 'run') throw errors.invalidArgument(`unknown script operation "${op ?? ''}": use POST ${SCRIPT}<name>/run`)
    const args = request.body ?? {}
    const script = omegaFor(ctx, request).runtime.script(name)
    const options = ctx.options.timeoutMs === undefined ? {} : { timeoutMs: ctx.options.timeoutMs }
    return await respond(ctx, request, reply, async () => {
      const run = await script.run(args, options)
      return { script: name, result: resultJson(run.result), startedAt: run.startedAt, endedAt: run.endedAt, durationMs: run.durationMs }
    })
  })

  app.get(`${JOB}*`, {
    config: { requirement: 'read', ...docPath(`${JOB}:name`, { name: NAME_PARAM }) },
    schema: { tags: ['scripts'], summary: "A scheduled job, its next run times and its script's runs: { job, result: { job, next, runs } }" },
  }, async (request) => {
    const { name } = nameAfter(request, JOB)
    const om = omegaFor(ctx, request)
    const job = await om.jobs.job(name)
    const [next, runs] = await Promise.all([om.jobs.next(name, 3), om.jobs.runs(job.script)])
    return { job: name, result: resultJson({ job, next, runs }) }
  })
}
