import type { FastifyInstance } from 'fastify'
import type { RouteContext } from '../route-context.js'

/** `GET /api/v1/ping` and the async task routes. */
export function serviceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/api/v1/ping', { config: { requirement: 'any' }, schema: { tags: ['service'], summary: 'Liveness: { ping: <ISO time> }' } }, async () => ({ ping: new Date().toISOString() }))

  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } }
  app.get('/api/v1/task/:id/result', {
    config: { requirement: 'any' },
    schema: { tags: ['tasks'], summary: "An async task's state and, once done, its result: { taskId, status, result?, error? }", params: idParams },
  }, async (request) => ctx.tasks.view((request.params as { id: string }).id, ctx.auth.owner(request), true))

  app.get('/api/v1/task/:id/status', {
    config: { requirement: 'any' },
    schema: { tags: ['tasks'], summary: "An async task's state: { taskId, status, error? }", params: idParams },
  }, async (request) => ctx.tasks.view((request.params as { id: string }).id, ctx.auth.owner(request), false))
}
