import type { Command } from 'commander'
import type { Omega } from '@omega/core'
import { Output, type GlobalOptions, type Streams } from './output.js'

/** What a command's handler receives besides its positional arguments. */
export interface ActionContext {
  /** The instance, opened on first use with `--store`, `--bucket` and `--runtime` and closed after the command. */
  omega(): Promise<Omega>
  readonly out: Output
  /** This command's own options. */
  readonly opts: Record<string, unknown>
  readonly globals: GlobalOptions
}

/** A command's handler: positional arguments in order (a variadic one as a string array). */
export type Handler = (ctx: ActionContext, args: readonly unknown[]) => Promise<void>

/** Opens the store a command names: `--store`, else `$OMEGA_STORE`, else omega's default ($OMEGA_HOME or ./.omega). */
export async function openOmega(globals: GlobalOptions, store = globals.store ?? process.env.OMEGA_STORE, bucket = globals.bucket): Promise<Omega> {
  // Loaded on first use: help, version and usage errors do not pay for the stores and handlers.
  const { Omega } = await import('@omega/omega')
  return (await Omega.open({
    ...(store !== undefined && store !== '' && { store }),
    ...(bucket !== undefined && { bucket }),
    runtime: globals.runtime ?? 'inline',
  })) as Omega
}

/**
 * Wraps a handler as a commander action: collects the positional arguments, the command's and
 * the global options, and closes the instance afterwards whatever happens.
 */
export function action(streams: Streams, handler: Handler): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command
    const globals = command.optsWithGlobals<GlobalOptions>()
    let opened: Promise<Omega> | undefined
    const ctx: ActionContext = {
      omega: () => (opened ??= openOmega(globals)),
      out: new Output(streams, globals),
      opts: command.opts(),
      globals,
    }
    try {
      await handler(ctx, args.slice(0, -2))
    } finally {
      if (opened) await (await opened.catch(() => undefined))?.close()
    }
  }
}
