import { CommanderError } from 'commander'
import { createProgram } from './program.js'
import { Output, UsageError, describeFailure, type GlobalOptions, type Streams } from './output.js'

/** Exit codes of `omega` (SPEC §10). */
export const EXIT = { ok: 0, usage: 1, error: 2 } as const

/**
 * Runs the `omega` command line on `argv` (without `node` and the script) and returns the exit
 * code: 0 success, 1 usage error, 2 an OmegaError (its code and message on stderr).
 *
 * @example
 * ```ts
 * process.exitCode = await run(['--store', 'fs:./data', 'models', 'list', '--json'])
 * ```
 */
export async function run(argv: readonly string[], streams: Streams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = createProgram(streams)
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return EXIT.ok
  } catch (err) {
    const out = new Output(streams, program.opts<GlobalOptions>())
    if (err instanceof CommanderError) {
      // Commander printed the message (or the help / version) already.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    if (err instanceof UsageError) {
      out.error('usage', err.message)
      return EXIT.usage
    }
    const { code, message } = describeFailure(err)
    out.error(code, message)
    return EXIT.error
  }
}
