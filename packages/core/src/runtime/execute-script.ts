import { OmegaError } from '../errors.js'
import type { HandlerRegistry } from '../handler/handler-registry.js'
import { remoteOmega, type ScriptOmega } from '../rpc/remote-omega.js'
import { fromWire, toWire } from '../rpc/wire.js'
import type { ScriptTask, TaskOutcome } from './runtime.js'

/**
 * Runs a script task where it was sent (a pool worker): imports the extracted module, gives it an
 * `om` that reaches the application's instance over the task's port, and returns the result as
 * wire data. Never throws: a failure comes back as data (see {@link scriptError}).
 */
export async function executeScriptTask(task: ScriptTask, handlers: HandlerRegistry): Promise<TaskOutcome> {
  const om = remoteOmega(task.port, handlers, task.bucket)
  try {
    const result = await runScriptModule(task.entry, task.script, om, fromWire(task.args))
    return { ok: true, result: { type: 'value', value: toWire(result) } }
  } catch (err) {
    return { ok: false, error: scriptError(err, task.script).toJSON() }
  } finally {
    om.close()
    task.port.close()
  }
}

/** Imports a script's entry module and awaits its `run(om, args)`. */
export async function runScriptModule(entry: string, script: string, om: ScriptOmega, args: unknown): Promise<unknown> {
  const mod = (await import(entry)) as { run?: unknown }
  if (typeof mod.run !== 'function') throw new OmegaError('E_INVALID_ARGUMENT', `script "${script}": its export run is not a function`, { details: { script } })
  return await (mod.run as (om: ScriptOmega, args: unknown) => unknown)(om, args)
}

/**
 * What a script's failure becomes: E_WORKER carrying the script's message and stack; an
 * OmegaError the script let through (a missing dataset) keeps its code, with the script named.
 */
export function scriptError(err: unknown, script: string): OmegaError {
  const e = err instanceof Error ? err : new Error(String(err))
  const code = OmegaError.is(err) ? err.code : 'E_WORKER'
  const details = { ...(OmegaError.is(err) ? err.details : {}), script, message: e.message, ...(e.stack !== undefined && { stack: e.stack }) }
  return new OmegaError(code, `script "${script}" failed: ${e.message}`, { cause: err, details })
}
