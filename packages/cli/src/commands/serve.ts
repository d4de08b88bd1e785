import type { Command } from 'commander'
import { OmegaError, isMissingPackage, type Omega } from '@omega/core'
import { action } from '../action.js'
import { positiveInt } from '../key-values.js'
import type { Streams } from '../output.js'
import { stopSignal } from '../stop-signal.js'

/** What `omega serve` needs of `@omega/server` (a separate, optional package). */
interface ServerModule {
  createServer(om: Omega, options: Record<string, unknown>): Promise<{ listen(options: { port: number; host: string }): Promise<string>; close(): Promise<void> }>
}

/**
 * `omega serve`: the REST server lives in `@omega/server`, installed separately so that the CLI
 * stays small; without it the command fails with E_UNSUPPORTED naming the package to install.
 */
export function serveCommand(program: Command, streams: Streams): void {
  program
    .command('serve')
    .description('serve the REST API (needs @omega/server: npm install @omega/server)')
    .option('--port <port>', 'port', positiveInt, 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(
      action(streams, async (ctx) => {
        const specifier = '@omega/server'
        let server: ServerModule
        try {
          server = (await import(specifier)) as ServerModule
        } catch (err) {
          if (!isMissingPackage(err, specifier)) throw err
          throw new OmegaError('E_UNSUPPORTED', 'omega serve needs the REST server package: npm install @omega/server', { cause: err })
        }
        const om = await ctx.omega()
        const app = await server.createServer(om, {})
        const address = await app.listen({ port: ctx.opts.port as number, host: ctx.opts.host as string })
        // Handlers first: a SIGTERM sent on reading the announcement must find them.
        const stopped = stopSignal()
        ctx.out.result({ address }, `serving ${om.location} on ${address}`)
        await stopped
        await app.close()
      }),
    )
}
