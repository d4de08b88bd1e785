import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { OmegaError, errors } from '../errors.js'
import type { Plugin, PluginApi } from './plugin.js'

/**
 * Turns a plugin specifier into an absolute URL that imports the same module from anywhere (the
 * application, a worker thread): file URLs stay, paths resolve against the working directory, and
 * package names resolve as the application (not omega) would resolve them.
 */
export function resolvePluginSpecifier(specifier: string, cwd: string = process.cwd()): string {
  if (typeof specifier !== 'string' || specifier === '') throw errors.invalidArgument('a plugin specifier must be a non-empty string')
  if (/^(file|data|node):/.test(specifier)) return specifier
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(cwd, specifier)).href
  try {
    return pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(specifier)).href
  } catch {
    return specifier
  }
}

/**
 * True when `err`, thrown by importing `specifier`, says that package itself is not installed —
 * not that something it imports is missing (a broken install must surface, not pass for absent).
 */
export function isMissingPackage(err: unknown, specifier: string): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(`'${specifier}'`)
}

/** Imports each plugin and calls its default export with `api`, in order. */
export async function loadPlugins(specifiers: readonly string[], api: PluginApi): Promise<void> {
  for (const specifier of specifiers) {
    let mod: { default?: unknown }
    try {
      mod = (await import(specifier)) as { default?: unknown }
    } catch (err) {
      throw new OmegaError('E_INVALID_ARGUMENT', `plugin "${specifier}" could not be imported: ${(err as Error).message}`, {
        cause: err,
        details: { plugin: specifier },
      })
    }
    if (typeof mod.default !== 'function') {
      throw errors.invalidArgument(`plugin "${specifier}" must have a default export function(api) that registers its parts`, { plugin: specifier })
    }
    try {
      await (mod.default as Plugin)(api)
    } catch (err) {
      throw OmegaError.wrap(err, 'E_INVALID_ARGUMENT', (m) => `plugin "${specifier}" failed while registering: ${m}`, { plugin: specifier })
    }
  }
}
