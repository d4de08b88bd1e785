// Starts and stops the S3 test server process (s3rver + the test-only conditional-write gateway,
// see conditional-gateway.mjs) for tests, examples and benchmarks.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// The SDK warns once per process that its releases from 2027 need Node 22; in test output that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/** s3rver's fixed credentials (it checks the access key id, not the signature). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/** Requests per S3 operation and bytes in each direction, counted by the gateway. */
export interface GatewayStats {
  readonly requests: Record<string, number>
  /** Bytes of request bodies clients sent. */
  readonly bytesIn: number
  /** Bytes of response bodies clients received. */
  readonly bytesOut: number
}

/** A running S3 test server. */
export interface S3TestServer {
  /** The gateway (honours conditional writes): what stores should use. */
  readonly endpoint: string
  /** s3rver itself (ignores conditional writes): for the probe's refusal path. */
  readonly plainEndpoint: string
  /** s3rver's data directory. */
  readonly directory: string
  /** `Omega.open` options for a store on the gateway. */
  s3Options(extra?: Record<string, unknown>): Record<string, unknown>
  stats(): Promise<GatewayStats>
  resetStats(): Promise<void>
  /** The next `n` conditional requests answer 409 ConditionalRequestConflict. */
  injectConflicts(n: number): Promise<void>
  /** SIGKILLs the server process (both ports go away). */
  kill(): Promise<void>
  /** Starts the server again on the same ports and directory. */
  restart(): Promise<void>
  /** Stops the server and removes its directory. */
  stop(): Promise<void>
}

const script = join(import.meta.dirname, 'server-process.mjs')

/**
 * Starts s3rver and the gateway on 127.0.0.1 (free ports), with `buckets` created. In
 * `unconditionalDeleteBuckets` the gateway honours conditional writes but not conditional deletes.
 */
export async function startS3TestServer(options: { buckets?: string[]; unconditionalDeleteBuckets?: string[] } = {}): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'omega-s3rver-'))
  let child: ChildProcess | undefined
  let ports = { plainPort: 0, gatewayPort: 0 }
  const launch = async (): Promise<void> => {
    const config = JSON.stringify({ directory, buckets: options.buckets ?? [], unconditionalDeleteBuckets: options.unconditionalDeleteBuckets ?? [], ...ports })
    const proc = spawn(process.execPath, ['--openssl-legacy-provider', script, config], { stdio: ['ignore', 'pipe', 'inherit'] })
    child = proc
    ports = await new Promise((resolve, reject) => {
      let out = ''
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as typeof ports)
      })
      proc.once('exit', (code) => reject(new Error(`S3 test server exited with ${code} before listening`)))
    })
  }
  await launch()
  const endpoint = `http://127.0.0.1:${ports.gatewayPort}`
  const control = async (method: string, path: string): Promise<Response> => await fetch(`${endpoint}${path}`, { method })
  const exited = (proc: ChildProcess): Promise<void> => (proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r())))
  return {
    endpoint,
    plainEndpoint: `http://127.0.0.1:${ports.plainPort}`,
    directory,
    s3Options: (extra = {}) => ({ endpoint, region: 'us-east-1', credentials: S3RVER_CREDENTIALS, forcePathStyle: true, ...extra }),
    stats: async () => (await (await control('GET', '/__gateway/stats')).json()) as GatewayStats,
    resetStats: async () => void (await control('DELETE', '/__gateway/stats')).body?.cancel(),
    injectConflicts: async (n) => void (await control('POST', `/__gateway/conflicts?n=${n}`)).body?.cancel(),
    kill: async () => {
      const proc = child!
      proc.kill('SIGKILL')
      await exited(proc)
    },
    restart: launch,
    stop: async () => {
      const proc = child
      if (proc) {
        proc.kill('SIGTERM')
        await exited(proc)
      }
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
