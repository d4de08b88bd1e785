/**
 * omega REST server: `createServer(om, options)` serves models, datasets and async tasks over
 * HTTP (SPEC §10) with an OpenAPI document and docs UI, bearer API keys and request limits.
 *
 * @packageDocumentation
 */
export { createServer } from './create-server.js'
export type { ListenOptions, OmegaServer } from './create-server.js'
export type { ServerOptions, ApiKey, Action } from './server-options.js'
export { ACTIONS } from './server-options.js'
export { statusOf, HttpError } from './http-errors.js'
export type { ErrorBody } from './http-errors.js'
export type { TaskView, TaskStatus } from './task-table.js'
export { ARROW_STREAM } from './routes/dataset-routes.js'
