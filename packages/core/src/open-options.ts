import { resolve as resolvePath } from 'node:path'
import { errors } from './errors.js'
import type { StorageBackend } from './backend/storage-backend.js'
import type { Runtime } from './runtime/runtime.js'

/**
 * A runtime registered by a plugin, named by `type`, with its settings
 * (`{ type: 'bullmq', connection: { host, port }, queue: 'omega' }`).
 */
export interface RuntimeSpec {
  readonly type: string
  readonly [setting: string]: unknown
}
import { validateBucket } from './names/validate-name.js'

/** Options of `Omega.open` (SPEC §1). */
export interface OpenOptions {
  /** A store URL (`level:./dir`, `fs:./dir`, `memory:`, `s3://bucket/prefix`) or a backend instance. @default `level:$OMEGA_HOME`, else `level:./.omega` */
  readonly store?: string | StorageBackend
  /** The bucket `om` is bound to. @default 'default' */
  readonly bucket?: string
  /**
   * `'pool'` (worker threads), `'inline'` (calling thread), a Runtime, or a registered runtime with
   * its settings (`{ type: 'bullmq', connection, queue }`; such a runtime starts at open). @default 'pool'
   */
  readonly runtime?: 'pool' | 'inline' | Runtime | RuntimeSpec
  /** Worker threads of the pool runtime. @default the number of cores */
  readonly threads?: number
  /** Plugin modules (paths, file URLs or package names), loaded here and in every worker. */
  readonly plugins?: readonly string[]
  /** Backend-specific options (`fs: { fsync }`, `s3: { endpoint, … }`), passed to the backend factory. */
  readonly [backendOption: string]: unknown
}

/** Options after defaults: what the container holds. */
export interface ResolvedOpenOptions extends OpenOptions {
  readonly store: string | StorageBackend
  readonly bucket: string
  readonly plugins: readonly string[]
}

/** The embedded default store URL: `level:$OMEGA_HOME`, else `level:./.omega` (absolute). */
export function defaultStoreUrl(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.OMEGA_HOME && env.OMEGA_HOME.trim() !== '' ? env.OMEGA_HOME : './.omega'
  return `level:${resolvePath(home)}`
}

/** Applies defaults and checks option types. */
export function resolveOpenOptions(options: OpenOptions): ResolvedOpenOptions {
  if (options.plugins !== undefined && !Array.isArray(options.plugins)) throw errors.invalidArgument('plugins must be an array of module specifiers')
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw errors.invalidArgument(`threads must be a positive integer, got ${String(options.threads)}`)
  }
  const runtime = options.runtime
  if (typeof runtime === 'object' && runtime !== null && typeof (runtime as Partial<Runtime>).run !== 'function' && typeof (runtime as Partial<RuntimeSpec>).type !== 'string') {
    throw errors.invalidArgument('runtime must be "pool", "inline", a Runtime (with run()) or { type: "<registered runtime>", ...settings }')
  }
  return {
    ...options,
    store: options.store ?? defaultStoreUrl(),
    bucket: validateBucket(options.bucket ?? 'default'),
    plugins: options.plugins ?? [],
  }
}
