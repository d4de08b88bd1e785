import { Redis } from 'ioredis'
import { OmegaError, errors } from '@omega/core'

/** Where Redis is: `{ host, port }` (ioredis options such as `password`, `db`, `tls` pass through) or `redis://host:port`. */
export type RedisConnection = string | { readonly host?: string; readonly port?: number; readonly [ioredisOption: string]: unknown }

/** Settings of the bullmq runtime: `Omega.open({ runtime: { type: 'bullmq', ...settings } })`. */
export interface BullmqSettings {
  /** The Redis server the queue lives on. @default { host: '127.0.0.1', port: 6379 } */
  readonly connection?: RedisConnection
  /** Queue name; a label `gpu` routes to the queue `<queue>.gpu`. @default 'omega' */
  readonly queue?: string
  /**
   * Milliseconds a task may wait for a worker to take it before the call fails with E_TIMEOUT
   * naming the queue or label (no worker serves it). @default 60000
   */
  readonly pickupTimeoutMs?: number
  /** Inline inputs and results up to this size travel in the job; larger ones as temporary objects in the shared store. @default 262144 */
  readonly inlineBytes?: number
  /** Milliseconds to reach Redis at open before E_BACKEND. @default 5000 */
  readonly connectTimeoutMs?: number
  /**
   * Milliseconds Redis may stay unreachable while calls run before they fail with E_BACKEND
   * (ioredis reconnects meanwhile). @default 15000
   */
  readonly unreachableMs?: number
}

/** Settings after defaults. */
export interface ResolvedSettings {
  readonly connection: Record<string, unknown>
  readonly address: string
  readonly queue: string
  readonly pickupTimeoutMs: number
  readonly inlineBytes: number
  readonly connectTimeoutMs: number
  readonly unreachableMs: number
}

/** Applies defaults and checks the settings. @throws {OmegaError} E_INVALID_ARGUMENT naming the bad setting */
export function resolveSettings(settings: BullmqSettings): ResolvedSettings {
  const connection = redisOptions(settings.connection ?? {})
  const queue = settings.queue ?? 'omega'
  if (typeof queue !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(queue)) throw errors.invalidArgument(`bullmq queue must be letters, digits, ".", "_" or "-" (got ${JSON.stringify(queue)})`)
  return {
    connection,
    address: addressOf(connection),
    queue,
    pickupTimeoutMs: positive(settings.pickupTimeoutMs, 60_000, 'pickupTimeoutMs'),
    inlineBytes: positive(settings.inlineBytes, 256 * 1024, 'inlineBytes', true),
    connectTimeoutMs: positive(settings.connectTimeoutMs, 5_000, 'connectTimeoutMs'),
    unreachableMs: positive(settings.unreachableMs, 15_000, 'unreachableMs'),
  }
}

/** The queue a label routes to. */
export function queueName(queue: string, label: string | undefined): string {
  // BullMQ refuses ":" in queue names (it separates Redis key parts).
  return label === undefined ? queue : `${queue}.${label}`
}

/** ioredis options from a URL or an options object. */
export function redisOptions(connection: RedisConnection): Record<string, unknown> {
  if (typeof connection === 'string') {
    let url: URL
    try {
      url = new URL(connection)
    } catch (err) {
      throw new OmegaError('E_INVALID_ARGUMENT', `redis address must be redis://host:port, got ${JSON.stringify(connection)}`, { cause: err })
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw errors.invalidArgument(`redis address must be redis://host:port, got ${JSON.stringify(connection)}`)
    const db = url.pathname.replace(/^\//, '')
    return {
      host: url.hostname || '127.0.0.1',
      port: url.port === '' ? 6379 : Number(url.port),
      ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
      ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
      ...(db !== '' && { db: Number(db) }),
      ...(url.protocol === 'rediss:' && { tls: {} }),
    }
  }
  if (typeof connection !== 'object' || connection === null) throw errors.invalidArgument('bullmq connection must be { host, port } or redis://host:port')
  return { host: '127.0.0.1', port: 6379, ...connection }
}

/** `host:port` for messages. */
export function addressOf(connection: Record<string, unknown>): string {
  return `${String(connection.host)}:${String(connection.port)}`
}

/** E_BACKEND naming the Redis address: what a raw ioredis or BullMQ error becomes. */
export function redisError(address: string, op: string, cause: unknown): OmegaError {
  if (OmegaError.is(cause)) return cause
  const message = cause instanceof Error ? cause.message : String(cause)
  return new OmegaError('E_BACKEND', `Redis at ${address} failed to ${op}: ${message}; check that redis-server runs there and is reachable`, {
    cause,
    details: { redis: address, op },
  })
}

function positive(value: number | undefined, fallback: number, what: string, zero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!zero && value === 0)) throw errors.invalidArgument(`bullmq ${what} must be a positive number of ${what.endsWith('Bytes') ? 'bytes' : 'milliseconds'}, got ${String(value)}`)
  return value
}

/**
 * One PING with no retries, within `timeoutMs`: BullMQ's own connections retry forever and cannot
 * be stopped before they connect, so reachability is checked before any of them is made.
 *
 * @throws {OmegaError} E_BACKEND naming the address
 */
export async function probeRedis(connection: Record<string, unknown>, address: string, timeoutMs: number, op: string): Promise<void> {
  const client = new Redis({ ...connection, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs })
  // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than the "Connection is closed" that follows.
  let socketError: unknown
  client.on('error', (err: unknown) => (socketError ??= err))
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      client.connect().then(async () => await client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
      }),
    ])
  } catch (err) {
    throw redisError(address, op, socketError ?? err)
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}
