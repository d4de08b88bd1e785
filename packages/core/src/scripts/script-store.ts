import { errors } from '../errors.js'
import { validateName } from '../names/validate-name.js'
import type { Metadata } from '../store/metadata.js'
import { ObjectStore, type PutOptions } from '../store/object-store.js'
import { SCRIPT_KIND } from './script-handler.js'
import { readScriptSource, ScriptPackage, type ScriptSource } from './script-package.js'

/**
 * `om.scripts`: ES modules stored as data, run by name with `om.runtime.script(name).run(args)`.
 * `put` takes `{ path }` of a `.js`/`.mjs` file or of a package directory (its package.json's
 * `exports` or `main` names the module; `node_modules` is not packed: a script imports what the
 * application itself can resolve), or module source text. The module is parsed at put, never
 * executed: a syntax error or a missing `run` export fails there, with nothing stored. `get`
 * returns the stored {@link ScriptPackage} (files and entry).
 *
 * @example
 * ```ts
 * await om.scripts.put({ path: './scripts/report.mjs' }, 'report')
 * await om.scripts.put('export async function run(om, args) { return args.x * 2 }', 'double')
 * ```
 */
export class ScriptStore extends ObjectStore {
  /**
   * Stores a script and returns its metadata; `kindMeta` is its manifest `{ entry, format, files:
   * [{ path, size, sha256 }] }`. Other values (with an explicit other `kind`) are stored as in any store.
   *
   * @throws {OmegaError} E_INVALID_ARGUMENT for a missing path, a syntax error (file, line, column) or no exported `run`; E_INVALID_NAME
   */
  override async put(source: ScriptSource | ScriptPackage, name: string, options: PutOptions = {}): Promise<Metadata> {
    if (options.kind !== undefined && options.kind !== SCRIPT_KIND) return await super.put(source, name, options)
    validateName(name)
    const pkg = source instanceof ScriptPackage ? source : await readScriptSource(source, name)
    return await super.put(pkg, name, { ...options, kind: SCRIPT_KIND })
  }

  /**
   * The metadata of a stored script, for running it.
   *
   * @throws {OmegaError} E_NOT_FOUND naming the script; E_INVALID_ARGUMENT if the object is not a script
   */
  async script(name: string): Promise<Metadata> {
    const meta = await this.metadata(name)
    if (!meta) throw errors.notFound('script', name, this.bucket, `store it with om.scripts.put({ path }, "${name}")`)
    if (meta.kind !== SCRIPT_KIND) throw errors.invalidArgument(`"${name}" in om.scripts is a ${meta.kind}, not a script module`, { name, kind: meta.kind })
    return meta
  }
}
