import type { Omega } from '@omega/core'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { Authenticator, requestBucket, type Requirement } from './auth.js'
import { HttpError, toErrorResponse } from './http-errors.js'
import type { RouteContext } from './route-context.js'
import { datasetRoutes } from './routes/dataset-routes.js'
import { modelRoutes } from './routes/model-routes.js'
import { scriptRoutes } from './routes/script-routes.js'
import { serviceRoutes } from './routes/service-routes.js'
import { checkListenHost, resolveServerOptions, type ServerOptions } from './server-options.js'
import { TaskTable } from './task-table.js'

/** Where the server listens. */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number
  /** Interface (default 127.0.0.1); anything but loopback needs API keys. */
  readonly host?: string
}

/** A REST server over one Omega instance (SPEC §10). */
export interface OmegaServer {
  /** Starts listening; resolves to the address, e.g. `http://127.0.0.1:8052`. */
  listen(options: ListenOptions): Promise<string>
  /** Stops accepting requests and waits for open ones; the Omega instance stays open. */
  close(): Promise<void>
  /** The fastify instance: `inject`, or extra routes and hooks before `listen`. */
  readonly fastify: FastifyInstance
}

const DOCS = '/api/docs'

function requirementOf(request: FastifyRequest, publicDocs: boolean): Requirement {
  const url = request.url
  if (url === '/api/openapi.json' || url === DOCS || url.startsWith(`${DOCS}/`)) return publicDocs ? 'public' : 'any'
  return (request.routeOptions.config as { requirement?: Requirement }).requirement ?? 'any'
}

/**
 * Builds the REST server of SPEC §10 over `om`: models, datasets, async tasks, an OpenAPI 3
 * document at `/api/openapi.json` and its docs UI at `/api/docs`. Every request is authenticated
 * (when API keys are configured) and its bucket and names checked before anything runs.
 *
 * @param om - the instance to serve; the server never closes it
 * @param options - API keys, limits, timeouts; see {@link ServerOptions}
 */
export async function createServer(om: Omega, options: ServerOptions | Readonly<Record<string, unknown>> = {}): Promise<OmegaServer> {
  const resolved = resolveServerOptions(options)
  const app = Fastify({ logger: resolved.logger, bodyLimit: resolved.bodyLimit, return503OnClosing: true, forceCloseConnections: 'idle' })
  const auth = new Authenticator(resolved.keys)
  const ctx: RouteContext = { om, options: resolved, auth, tasks: new TaskTable(resolved.maxTasks, resolved.taskTtlMs, resolved.bodyLimit) }

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toErrorResponse(err, resolved.bodyLimit)
    if (status >= 500) request.log.error(err)
    return reply.code(status).type('application/json').send(body)
  })
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'E_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?', 1)[0]}; see /api/docs` }),
  )
  // onRequest runs before the body is read: a request without a valid key, or for a bucket the key
  // may not use, is refused before its body is parsed or anything runs.
  app.addHook('onRequest', async (request) => {
    auth.check(request, requirementOf(request, resolved.publicDocs), requestBucket(request, om.bucketName))
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'omega REST API', version: '1', description: 'Models, datasets and the runtime of an omega store over HTTP. Errors are { code, message }.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(resolved.keys.length > 0 && { security: [{ bearer: [] }] }),
      tags: [{ name: 'service' }, { name: 'models' }, { name: 'datasets' }, { name: 'tasks' }],
    },
  })
  await app.register(swaggerUi, { routePrefix: DOCS })
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  serviceRoutes(app, ctx)
  modelRoutes(app, ctx)
  datasetRoutes(app, ctx)
  scriptRoutes(app, ctx)

  return {
    fastify: app,
    async listen({ port, host = '127.0.0.1' }: ListenOptions): Promise<string> {
      checkListenHost(host, resolved)
      return await app.listen({ port, host })
    },
    async close(): Promise<void> {
      await app.close()
    },
  }
}
