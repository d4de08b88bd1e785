import { OmegaError, errors, validateBucket } from '@omega/core'

/** What an API key may do: read metadata and data, run inference, or change the store. */
export type Action = 'read' | 'predict' | 'write'
/** Every {@link Action}. */
export const ACTIONS: readonly Action[] = ['read', 'predict', 'write']

/** One bearer API key and what it is allowed. */
export interface ApiKey {
  /** The secret a client sends as `Authorization: Bearer <key>` (at least 16 characters). */
  readonly key: string
  /** Buckets the key may use, or `'*'` for all (default: all). */
  readonly buckets?: readonly string[] | '*'
  /** Actions the key may take (default: all three). */
  readonly actions?: readonly Action[]
  /** A label for logs and task ownership; never the key itself (default: `key-<index>`). */
  readonly id?: string
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /**
   * Bearer API keys, as a list or as `{ [key]: { buckets, actions } }`. With none, the server
   * refuses to listen anywhere but loopback (127.0.0.1, ::1, localhost).
   */
  readonly apiKeys?: readonly ApiKey[] | Readonly<Record<string, Omit<ApiKey, 'key'>>>
  /** Largest request body in bytes (default 16 MiB); larger bodies get 413 before parsing. */
  readonly bodyLimit?: number
  /** Milliseconds a model call may run before it fails with 504 `E_TIMEOUT` (default: none). */
  readonly timeoutMs?: number
  /** Async task table: at most `maxTasks` entries (default 1000), finished ones kept `ttlMs` (default 15 min). */
  readonly tasks?: { readonly maxTasks?: number; readonly ttlMs?: number }
  /** Serve `/api/openapi.json` and `/api/docs` without an API key (default true: they hold no data). */
  readonly publicDocs?: boolean
  /** fastify's logger (default off). */
  readonly logger?: boolean
}

/** An API key after normalisation. */
export interface ResolvedKey {
  readonly id: string
  readonly key: string
  readonly buckets: ReadonlySet<string> | '*'
  readonly actions: ReadonlySet<Action>
}

/** Options after defaults and checks. */
export interface ResolvedServerOptions {
  readonly keys: readonly ResolvedKey[]
  readonly bodyLimit: number
  readonly timeoutMs: number | undefined
  readonly maxTasks: number
  readonly taskTtlMs: number
  readonly publicDocs: boolean
  readonly logger: boolean
}

const MIN_KEY_LENGTH = 16

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw errors.invalidArgument(`server option ${name} must be a positive number (got ${String(value)})`)
  return value
}

function resolveKey(raw: unknown, index: number): ResolvedKey {
  if (typeof raw !== 'object' || raw === null) throw errors.invalidArgument(`apiKeys[${index}] must be an object { key, buckets?, actions? }`)
  const { key, buckets, actions, id } = raw as Record<string, unknown>
  if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) throw errors.invalidArgument(`apiKeys[${index}].key must be a string of at least ${MIN_KEY_LENGTH} characters`)
  if (actions !== undefined && (!Array.isArray(actions) || actions.some((a) => !ACTIONS.includes(a as Action)))) {
    throw errors.invalidArgument(`apiKeys[${index}].actions must list some of ${ACTIONS.join(', ')}`)
  }
  let bucketSet: ReadonlySet<string> | '*' = '*'
  if (buckets !== undefined && buckets !== '*') {
    if (!Array.isArray(buckets)) throw errors.invalidArgument(`apiKeys[${index}].buckets must be '*' or a list of bucket names`)
    bucketSet = new Set(buckets.map((b) => validateBucket(b)))
  }
  return {
    id: typeof id === 'string' ? id : `key-${index}`,
    key,
    buckets: bucketSet,
    actions: new Set((actions as Action[] | undefined) ?? ACTIONS),
  }
}

/** Applies defaults and checks every option; bad options throw `E_INVALID_ARGUMENT`. */
export function resolveServerOptions(options: ServerOptions | Readonly<Record<string, unknown>>): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) throw errors.invalidArgument('server options must be an object')
  const o = options as ServerOptions
  const list = o.apiKeys === undefined ? [] : Array.isArray(o.apiKeys) ? o.apiKeys : Object.entries(o.apiKeys).map(([key, rest]) => ({ ...(rest as object), key }))
  const keys = (list as unknown[]).map(resolveKey)
  if (new Set(keys.map((k) => k.key)).size !== keys.length) throw errors.invalidArgument('apiKeys lists the same key twice')
  const tasks = o.tasks ?? {}
  return {
    keys,
    bodyLimit: Math.floor(positive(o.bodyLimit, 'bodyLimit', 16 * 1024 * 1024)),
    timeoutMs: o.timeoutMs === undefined ? undefined : positive(o.timeoutMs, 'timeoutMs', 0),
    maxTasks: Math.floor(positive(tasks.maxTasks, 'tasks.maxTasks', 1000)),
    taskTtlMs: positive(tasks.ttlMs, 'tasks.ttlMs', 15 * 60_000),
    publicDocs: o.publicDocs ?? true,
    logger: o.logger ?? false,
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]'])

/** Without API keys the server may only be reached from this machine. */
export function checkListenHost(host: string, options: ResolvedServerOptions): void {
  if (options.keys.length === 0 && !LOOPBACK.has(host)) {
    throw new OmegaError('E_INVALID_ARGUMENT', `refusing to listen on "${host}" without API keys: configure apiKeys, or listen on 127.0.0.1 or ::1`, { details: { host } })
  }
}
