import { OmegaError, type SerializedError } from '../errors.js'
import type { JsonObject } from '../json.js'
import { collectBytes } from '../backend/hashing.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'
import { artifactsOf } from '../runtime/execute-task.js'
import type { Metadata } from '../store/metadata.js'
import { REMOTE_METHODS } from './serve-omega.js'
import { fromWire, isWireModel, toWire, type OmegaPort, type RemoteRequest, type RemoteResponse, type RemoteTarget } from './wire.js'

/** The store calls a script's `om` offers (those of `om.datasets` / `om.models`, same results and errors). */
export interface RemoteStore {
  put(value: unknown, name: string, options?: Readonly<Record<string, unknown>>): Promise<Metadata>
  get(name: string, options?: Readonly<Record<string, unknown>>): Promise<unknown>
  exists(name: string): Promise<boolean>
  metadata(name: string): Promise<Metadata | undefined>
  list(pattern?: string, options?: Readonly<Record<string, unknown>>): Promise<string[] | Metadata[]>
  drop(name: string, options?: Readonly<Record<string, unknown>>): Promise<boolean>
  revisions(name: string): Promise<unknown[]>
}

/** The model calls of a script's `om.runtime.model(name)`. */
export interface RemoteModel {
  fit(X: unknown, Y?: unknown, options?: Readonly<Record<string, unknown>>): Promise<Metadata>
  partialFit(X: unknown, Y?: unknown, options?: Readonly<Record<string, unknown>>): Promise<Metadata>
  predict(X: unknown, options?: Readonly<Record<string, unknown>>): Promise<unknown>
  predictProba(X: unknown, options?: Readonly<Record<string, unknown>>): Promise<unknown>
  transform(X: unknown, options?: Readonly<Record<string, unknown>>): Promise<unknown>
  score(X: unknown, Y: unknown, options?: Readonly<Record<string, unknown>>): Promise<number>
}

/**
 * The `om` a script's `run(om, args)` receives: the application's instance (same store, same
 * bucket), or in a worker a proxy over a port with the same calls and errors. Arrow tables and
 * tensors cross as bytes; live models as their handler's artifacts.
 */
export interface ScriptOmega {
  readonly bucketName: string
  readonly datasets: RemoteStore
  readonly models: RemoteStore & { tag(nameRef: string, tag: string): Promise<Metadata> }
  readonly runtime: { model(name: string): RemoteModel }
}

/**
 * A {@link ScriptOmega} that sends every call over `port` to the application's instance
 * ({@link serveOmega} answers). `handlers` turn live models into artifacts and back on this side.
 */
export function remoteOmega(port: OmegaPort, handlers: HandlerRegistry, bucketName: string): ScriptOmega & { close(): void } {
  let next = 0
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const listener = (message: unknown): void => {
    const response = message as RemoteResponse
    const call = waiting.get(response.id)
    if (!call) return
    waiting.delete(response.id)
    if (response.ok) call.resolve(fromWire(response.value))
    else call.reject(OmegaError.fromJSON(response.error as SerializedError))
  }
  port.on('message', listener)
  const call = (target: RemoteTarget, method: string, args: unknown[], name?: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = next++
      waiting.set(id, { resolve, reject })
      const request: RemoteRequest = { id, target, method, args: args.map((a) => toWire(a)), ...(name !== undefined && { name }) }
      port.postMessage(request)
    })
  const store = (target: 'datasets' | 'models'): Record<string, (...a: unknown[]) => Promise<unknown>> =>
    Object.fromEntries(REMOTE_METHODS[target].map((m) => [m, (...a: unknown[]) => call(target, m, a)]))
  const models = store('models')
  const modelsPut = async (model: unknown, name: string, options: Readonly<Record<string, unknown>> = {}): Promise<unknown> => {
    const handler = handlers.select('models', model, { kind: options.kind as string | undefined })
    const artifacts = await handler.serialize(model, { name, store: 'models', options })
    const parts: Record<string, Uint8Array> = {}
    for (const [part, source] of Object.entries(artifacts.parts)) parts[part] = source instanceof Uint8Array ? source : await collectBytes(source)
    return await call('models', 'put', [{ $omega: 'model', kind: handler.kind, kindMeta: artifacts.kindMeta, parts }, name, options])
  }
  const modelsGet = async (name: string, options?: Readonly<Record<string, unknown>>): Promise<unknown> => {
    const wire = await call('models', 'get', [name, options])
    if (!isWireModel(wire)) return wire
    return await handlers.get(wire.kind).deserialize(artifactsOf(wire.kindMeta as JsonObject, wire.parts), { name, store: 'models', options: {} })
  }
  return {
    bucketName,
    datasets: store('datasets') as unknown as RemoteStore,
    models: { ...models, put: modelsPut, get: modelsGet } as unknown as ScriptOmega['models'],
    runtime: {
      model: (name: string) => Object.fromEntries(REMOTE_METHODS.model.map((m) => [m, (...a: unknown[]) => call('model', m, a, name)])) as unknown as RemoteModel,
    },
    close() {
      port.off('message', listener)
      const closed = new OmegaError('E_ABORTED', 'the script finished while a call to om was still running; await every om call')
      for (const { reject } of waiting.values()) reject(closed)
      waiting.clear()
    },
  }
}
