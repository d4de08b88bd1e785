import { OmegaError } from '../errors.js'
import { collectBytes } from '../backend/hashing.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'
import { artifactsOf } from '../runtime/execute-task.js'
import type { Metadata } from '../store/metadata.js'
import type { ObjectStore } from '../store/object-store.js'
import type { RuntimeFacade } from '../runtime/runtime-facade.js'
import type { ModelStore } from '../store/model-store.js'
import type { DatasetStore } from '../store/dataset-store.js'
import { fromWire, isWireModel, toWire, type OmegaPort, type RemoteRequest, type RemoteResponse, type WireModel } from './wire.js'

/** What {@link serveOmega} serves: an instance's stores, runtime and handlers (an `Omega`). */
export interface ServedOmega {
  readonly datasets: DatasetStore
  readonly models: ModelStore
  readonly runtime: RuntimeFacade
  readonly handlers: HandlerRegistry
}

/** The store methods and model calls a remote `om` may use: the same calls and errors as the application's. */
export const REMOTE_METHODS = {
  datasets: ['put', 'get', 'exists', 'metadata', 'list', 'drop', 'revisions'],
  models: ['put', 'get', 'exists', 'metadata', 'list', 'drop', 'revisions', 'tag'],
  model: ['fit', 'partialFit', 'predict', 'predictProba', 'transform', 'score'],
} as const

/** A served port: what the remote side wrote, and how to stop serving. */
export interface OmegaService {
  /** Datasets and models the remote side stored (put, fit, predict with rName), in order. */
  readonly written: { readonly datasets: string[]; readonly models: string[] }
  /** Stops answering; calls still running finish but their answers are dropped. */
  close(): void
}

/**
 * Serves an application's `om` to a worker over a port: each {@link RemoteRequest} is checked
 * against {@link REMOTE_METHODS}, decoded, run on the real instance, and answered with the value
 * as wire data or the OmegaError as data. The worker never opens the store, so this works for
 * single-opener stores (LevelDB) and is the one way every runtime's workers reach the store.
 */
export function serveOmega(om: ServedOmega, port: OmegaPort): OmegaService {
  const written = { datasets: [] as string[], models: [] as string[] }
  let open = true
  const listener = (message: unknown): void => {
    const request = message as RemoteRequest
    void answer(om, request, written).then((response) => {
      if (open) port.postMessage(response)
    })
  }
  port.on('message', listener)
  return {
    written,
    close() {
      open = false
      port.off('message', listener)
    },
  }
}

async function answer(om: ServedOmega, request: RemoteRequest, written: OmegaService['written']): Promise<RemoteResponse> {
  try {
    const value = await dispatch(om, request)
    noteWrites(request, value, written)
    return { id: request.id, ok: true, value }
  } catch (err) {
    const error = OmegaError.wrap(err, 'E_WORKER', (inner) => `om.${request.target === 'model' ? `runtime.model("${request.name}")` : request.target}.${request.method} failed: ${inner}`)
    return { id: request.id, ok: false, error: error.toJSON() }
  }
}

async function dispatch(om: ServedOmega, { target, method, name, args: wireArgs }: RemoteRequest): Promise<unknown> {
  const allowed = REMOTE_METHODS[target] as readonly string[] | undefined
  if (!allowed?.includes(method)) {
    throw new OmegaError('E_UNSUPPORTED', `a script's om cannot call ${target}.${method}; it offers datasets.{${REMOTE_METHODS.datasets.join(',')}}, models.{${REMOTE_METHODS.models.join(',')}} and runtime.model(name).{${REMOTE_METHODS.model.join(',')}}`)
  }
  const args = wireArgs.map((a) => fromWire(a))
  if (target === 'model') {
    const proxy = om.runtime.model(String(name)) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
    return toWire(await proxy[method]!(...args))
  }
  const store = om[target] as unknown as ObjectStore & Record<string, (...a: unknown[]) => Promise<unknown>>
  if (target === 'models' && method === 'put' && isWireModel(wireArgs[0])) {
    const model = wireArgs[0]
    const live = await om.handlers.get(model.kind).deserialize(artifactsOf(model.kindMeta, model.parts), { name: String(args[1]), store: 'models', options: {} })
    return await store.put(live, String(args[1]), { ...(args[2] as object), kind: model.kind })
  }
  const value = await store[method]!(...args)
  if (target === 'models' && method === 'get') return await modelToWire(om, value, String(args[0]))
  return toWire(value)
}

async function modelToWire(om: ServedOmega, live: unknown, name: string): Promise<WireModel> {
  const meta = (await om.models.metadata(name))!
  const artifacts = await om.handlers.get(meta.kind).serialize(live, { name, store: 'models', options: {} })
  const parts: Record<string, Uint8Array> = {}
  for (const [part, source] of Object.entries(artifacts.parts)) parts[part] = source instanceof Uint8Array ? source : await collectBytes(source)
  return { $omega: 'model', kind: meta.kind, kindMeta: artifacts.kindMeta, parts }
}

function noteWrites(request: RemoteRequest, value: unknown, written: OmegaService['written']): void {
  const meta = value as Partial<Metadata> | undefined
  if (typeof meta?.name !== 'string' || typeof meta.prefix !== 'string') return
  if (!['put', 'fit', 'partialFit', 'predict'].includes(request.method)) return
  if (meta.prefix === 'data/') written.datasets.push(meta.name)
  else if (meta.prefix === 'models/') written.models.push(meta.name)
}
