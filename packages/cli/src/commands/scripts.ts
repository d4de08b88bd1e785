import type { Command } from 'commander'
import type { JsonObject } from '@omega/core'
import { action, type ActionContext } from '../action.js'
import { collectKeyValue, jsonObject, jsonValue, positiveInt } from '../key-values.js'
import { UsageError, humanText, type Streams } from '../output.js'
import { humanResult, plain } from '../results.js'
import { addStoreCommands } from './store-commands.js'

/** `omega scripts …`: store ES modules exporting `run(om, args)` and run them by name, plus list, metadata, drop, promote. */
export function scriptsCommand(program: Command, streams: Streams): void {
  const group = program.command('scripts').description('scripts: ES modules exporting run(om, args), stored as data and run by name')
  group
    .command('put')
    .description('store a .js/.mjs file or a package directory (its package.json names the module); parsed, never executed, at put')
    .argument('<path>', 'a .js/.mjs file or a package directory')
    .argument('<name>')
    .option('--attributes <json>', 'attributes to merge, a JSON object', jsonObject)
    .action(
      action(streams, async (ctx, [path, name]) => {
        const om = await ctx.omega()
        const meta = await om.scripts.put({ path: path as string }, name as string, ctx.opts.attributes === undefined ? {} : { attributes: ctx.opts.attributes as JsonObject })
        const files = (meta.kindMeta as { files?: unknown[] }).files?.length ?? 1
        ctx.out.result(meta, `stored script ${meta.name} (${files} file${files === 1 ? '' : 's'}, ${meta.size} bytes)`)
      }),
    )
  addRunCommand(group.command('run'), streams)
  addStoreCommands(group, streams, (om) => om.scripts)
}

/**
 * The options and action of a script run, shared by `omega scripts run` and its alias `omega
 * runtime script`: `--args` gives the JSON args, each `--arg k=v` sets one key on top.
 */
export function addRunCommand(command: Command, streams: Streams): void {
  command
    .description('run a stored script: prints what run(om, args) returned; every run is recorded (omega jobs runs <name>)')
    .argument('<name>')
    .option('--arg <key=value>', 'one argument (repeatable); the value is JSON if it parses, else text', collectKeyValue, {})
    .option('--args <json>', 'the arguments as JSON (--arg keys are set on top)', jsonValue)
    .option('--timeout <ms>', 'reject with E_TIMEOUT after this many milliseconds', positiveInt)
    .action(action(streams, async (ctx, [name]) => await runScript(ctx, name as string)))
}

async function runScript(ctx: ActionContext, name: string): Promise<void> {
  const pairs = ctx.opts.arg as Record<string, unknown>
  const given = ctx.opts.args ?? {}
  if (Object.keys(pairs).length > 0 && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new UsageError('--arg sets keys of an object: --args must then be a JSON object')
  }
  const args = Object.keys(pairs).length > 0 ? { ...(given as object), ...pairs } : given
  const om = await ctx.omega()
  const timeout = ctx.opts.timeout as number | undefined
  const run = await om.runtime.script(name).run(args, timeout === undefined ? {} : { timeoutMs: timeout })
  const result = plain(run.result) ?? null
  ctx.out.data({ script: name, result, startedAt: run.startedAt, endedAt: run.endedAt, durationMs: run.durationMs }, humanResult(result) ?? humanText(result))
}
