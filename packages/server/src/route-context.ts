import type { Omega } from '@omega/core'
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import { requestBucket, type Authenticator } from './auth.js'
import type { ResolvedServerOptions } from './server-options.js'
import type { TaskTable } from './task-table.js'

/** What every route module gets. */
export interface RouteContext {
  readonly om: Omega
  readonly options: ResolvedServerOptions
  readonly auth: Authenticator
  readonly tasks: TaskTable
}

const bound = new WeakMap<Omega, Map<string, Omega>>()

/** The Omega of the request's bucket (one per bucket name, reused). */
export function omegaFor(ctx: RouteContext, request: FastifyRequest): Omega {
  const bucket = requestBucket(request, ctx.om.bucketName)
  if (bucket === ctx.om.bucketName) return ctx.om
  let cache = bound.get(ctx.om)
  if (!cache) bound.set(ctx.om, (cache = new Map()))
  let om = cache.get(bucket)
  if (!om) cache.set(bucket, (om = ctx.om.bucket(bucket)))
  return om
}

const isAsync = (request: FastifyRequest): boolean => (request.query as Record<string, unknown> | undefined)?.async === 'true'

/**
 * Runs `work` and sends its JSON; with `?async=true` starts it as a task instead and answers 202
 * with `Location: /api/v1/task/<id>/result`.
 */
export async function respond(ctx: RouteContext, request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>): Promise<unknown> {
  if (!isAsync(request)) return await work()
  const taskId = ctx.tasks.start(ctx.auth.owner(request), work)
  return reply.code(202).header('location', `/api/v1/task/${taskId}/result`).send({ taskId })
}

/** A doc-only path for a wildcard route (names contain `/`, so the router sees one `*`). */
export function docPath(url: string, params: Record<string, unknown>): { swaggerTransform: (o: { schema: FastifySchema }) => { schema: FastifySchema; url: string } } {
  const names = [...url.matchAll(/:(\w+)/g)].map((m) => m[1]!)
  return {
    swaggerTransform: ({ schema }) => ({
      url,
      schema: { ...schema, params: { type: 'object', required: names, properties: params } },
    }),
  }
}

/** The name parameter as documented. */
export const NAME_PARAM = { type: 'string', description: 'object name, URL-encoded; may contain "/", "@tag", "@3", "^" and column selectors' }

/** `?async=true` as documented. */
export const ASYNC_QUERY = { async: { type: 'string', enum: ['true', 'false'], description: 'true: run as a task, answer 202 with Location' } }
