// Starts and stops redis-server (Debian's package; .ci/run installs it) as a child process on
// 127.0.0.1 and a free port, without persistence, and worker processes that serve its queues: for
// tests, examples and benchmarks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** Why Redis tests cannot run here, or undefined when redis-server is installed. */
export function redisMissing(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  return probe.error ? 'redis-server is not installed (apt-get install redis-server; .ci/run does it)' : undefined
}

/** A suite's title, naming why it is skipped where redis-server is missing (the report shows it). */
export function redisSuiteTitle(title: string, missing: string | undefined): string {
  return missing === undefined ? title : `${title} (skipped: needs redis-server: ${missing})`
}

/** A running redis-server. */
export interface RedisTestServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly connection: { readonly host: string; readonly port: number }
  /** SIGKILLs the server (every job it held is lost: no persistence). */
  kill(): Promise<void>
  /** Starts a new server on the same port. */
  restart(): Promise<void>
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()))
}

/** Starts redis-server on a free port of 127.0.0.1 with `--save '' --appendonly no`. */
export async function startRedis(): Promise<RedisTestServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const launch = async (): Promise<void> => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
    child = proc
    await new Promise<void>((resolve, reject) => {
      let out = ''
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('Ready to accept connections')) resolve()
      })
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready: ${out.slice(-500)}`)))
    })
  }
  await launch()
  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child
    if (!proc) return
    proc.kill(signal)
    await exited(proc)
    child = undefined
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    connection: { host: '127.0.0.1', port },
    kill: () => stopChild('SIGKILL'),
    restart: launch,
    stop: () => stopChild('SIGTERM'),
  }
}

/** A worker process (test/harness/worker-process.mjs running startWorker). */
export interface WorkerProcess {
  readonly name: string
  readonly process: ChildProcess
  /** Lines it logged (one per task). */
  readonly lines: string[]
  kill(signal?: NodeJS.Signals): Promise<void>
}

const WORKER_SCRIPT = join(import.meta.dirname, 'worker-process.mjs')

/** Starts `startWorker(options)` in a child process and waits until it serves. */
export async function startWorkerProcess(options: { name: string; store: string; redis: string; plugins: string[]; labels?: string[]; concurrency?: number; storeOptions?: Record<string, unknown>; lockDurationMs?: number; maxStalledCount?: number }): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, [WORKER_SCRIPT, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  await new Promise<void>((resolve, reject) => {
    let buffered = ''
    proc.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString()
      const parts = buffered.split('\n')
      buffered = parts.pop()!
      for (const line of parts) {
        if (line === 'ready') resolve()
        else lines.push(line)
      }
    })
    proc.once('exit', (code) => reject(new Error(`worker ${options.name} exited with ${code} before it was ready`)))
  })
  return {
    name: options.name,
    process: proc,
    lines,
    kill: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      await exited(proc)
    },
  }
}
