import type { Command } from 'commander'
import { OmegaError, isMissingPackage } from '@omega/core'
import { action } from '../action.js'
import { positiveInt } from '../key-values.js'
import type { Streams } from '../output.js'
import { stopSignal } from '../stop-signal.js'

/** What `omega worker` needs of `@omega/bullmq` (a separate, optional package). */
interface BullmqModule {
  startWorker(options: Record<string, unknown>): Promise<{ readonly name: string; readonly queues: readonly string[]; close(options?: { force?: boolean }): Promise<void> }>
}

/**
 * `omega worker`: serves the tasks of the bullmq runtime from a Redis queue on a shared store.
 * BullMQ lives in `@omega/bullmq`, installed separately so that users who never run workers do
 * not install a Redis client; without it the command is E_UNSUPPORTED naming the package.
 */
export function workerCommand(program: Command, streams: Streams): void {
  program
    .command('worker')
    .description('serve runtime tasks from a Redis queue on a shared store (needs @omega/bullmq: npm install @omega/bullmq)')
    .requiredOption('--redis <url>', 'the Redis server of the queue (redis://host:port)')
    .option('--labels <labels>', 'labels served besides the default queue, comma-separated (gpu,large)', (text: string) => text.split(',').map((l) => l.trim()).filter((l) => l !== ''))
    .option('--concurrency <n>', 'tasks run at once per queue served', positiveInt, 1)
    .option('--queue <name>', 'queue name, as the callers\' runtime setting "queue"', 'omega')
    .option('--lock-ms <ms>', 'milliseconds a task stays with a worker that stops answering before another takes it', positiveInt)
    .option('--verbose', 'print one line per task: which worker ran what, how long, the outcome')
    .action(
      action(streams, async (ctx) => {
        const specifier = '@omega/bullmq'
        let bullmq: BullmqModule
        try {
          bullmq = (await import(specifier)) as BullmqModule
        } catch (err) {
          if (!isMissingPackage(err, specifier)) throw err
          throw new OmegaError('E_UNSUPPORTED', 'omega worker needs the queue runtime package: npm install @omega/bullmq', { cause: err })
        }
        const store = ctx.globals.store ?? process.env.OMEGA_STORE
        if (store === undefined || store === '') throw new OmegaError('E_INVALID_ARGUMENT', 'omega worker needs --store <url> (s3://bucket/prefix or fs:/shared/path), the store its callers open')
        const { BUILTINS_URL } = await import('@omega/omega')
        const verbose = ctx.opts.verbose === true
        const worker = await bullmq.startWorker({
          store,
          redis: ctx.opts.redis as string,
          plugins: [BUILTINS_URL],
          concurrency: ctx.opts.concurrency as number,
          queue: ctx.opts.queue as string,
          ...(ctx.opts.labels !== undefined && { labels: ctx.opts.labels as string[] }),
          ...(ctx.opts.lockMs !== undefined && { lockDurationMs: ctx.opts.lockMs as number }),
          ...(verbose && { log: (line: string) => streams.stdout.write(`${line}\n`) }),
        })
        // Handlers first: a SIGTERM sent on reading the announcement must find them.
        const stopped = stopSignal()
        ctx.out.result({ worker: worker.name, queues: worker.queues }, `worker ${worker.name} serving ${worker.queues.join(', ')} on ${store}`)
        await stopped
        // SIGTERM: take no new task, finish the running ones, then exit.
        await worker.close()
      }),
    )
}
