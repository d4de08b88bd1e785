import { readFileSync } from 'node:fs'
import { Command, Option } from 'commander'
import { archiveCommands } from './commands/archive.js'
import { datasetsCommand } from './commands/datasets.js'
import { jobsCommand } from './commands/jobs.js'
import { modelsCommand } from './commands/models.js'
import { runtimeCommand } from './commands/runtime.js'
import { scriptsCommand } from './commands/scripts.js'
import { serveCommand } from './commands/serve.js'
import { workerCommand } from './commands/worker.js'
import type { Streams } from './output.js'

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

/**
 * The `omega` program: global options, then one group or command (SPEC §10). Usage errors throw
 * a CommanderError (exit code 1) instead of exiting, so that {@link run} decides the exit code.
 */
export function createProgram(streams: Streams): Command {
  const program = new Command('omega')
    .description('omega: models, datasets and scripts by name, versioned, from the command line')
    .version(VERSION)
    .option('--store <url>', 'store URL (level:./x, fs:./x, memory:); default $OMEGA_STORE, else $OMEGA_HOME or ./.omega')
    .option('--bucket <bucket>', 'bucket to work in', 'default')
    .option('--json', 'print one JSON value on stdout (errors as { code, message } on stderr)')
    .option('-q, --quiet', 'print only requested data, no confirmations or progress')
    .addOption(new Option('--runtime <runtime>', 'where model calls run').choices(['inline', 'pool']).default('inline'))
    .exitOverride()
    .showHelpAfterError('(omega --help lists the commands)')
    .configureOutput({
      writeOut: (text) => streams.stdout.write(text),
      writeErr: (text) => streams.stderr.write(text),
    })
  datasetsCommand(program, streams)
  modelsCommand(program, streams)
  scriptsCommand(program, streams)
  jobsCommand(program, streams)
  runtimeCommand(program, streams)
  archiveCommands(program, streams)
  serveCommand(program, streams)
  workerCommand(program, streams)
  return program
}
