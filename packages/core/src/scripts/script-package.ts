import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, join, posix, relative, sep } from 'node:path'
import { parse, type Node, type Program } from 'acorn'
import { errors } from '../errors.js'
import { isPlainObject } from '../json.js'

/** Where a script comes from: a `.js`/`.mjs` file or a package directory, or module source text. */
export type ScriptSource = string | { readonly path: string }

/**
 * A script as data: its files (relative POSIX paths → bytes) and the entry module that exports
 * `run(om, args)`. What `om.scripts.put` stores and `om.scripts.get` returns.
 */
export class ScriptPackage {
  constructor(
    /** The module that exports `run`, a path inside `files`. */
    readonly entry: string,
    readonly files: ReadonlyMap<string, Uint8Array>,
  ) {}

  /** The text of a file (the entry by default). */
  source(path: string = this.entry): string {
    const bytes = this.files.get(path)
    if (!bytes) throw errors.notFound('file in the script', path)
    return new TextDecoder().decode(bytes)
  }
}

/** Directories never packed: the application resolves dependencies, and VCS data is not code. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn'])
/** A script package larger than this is refused (it would be read into memory at every put and run). */
const MAX_PACKAGE_BYTES = 64 * 1024 * 1024

/**
 * Reads a script source into a {@link ScriptPackage} and checks it without executing it: every
 * ES module in it must parse, and the entry must export `run`.
 *
 * @throws {OmegaError} E_INVALID_ARGUMENT for a missing path, a CommonJS entry, a syntax error (file, line, column) or no exported `run`
 */
export async function readScriptSource(source: ScriptSource, name: string): Promise<ScriptPackage> {
  const pkg = typeof source === 'string' ? new ScriptPackage('index.mjs', new Map([['index.mjs', new TextEncoder().encode(source)]])) : await readPath(source, name)
  checkScript(pkg, name)
  return pkg
}

async function readPath(source: { readonly path: string }, name: string): Promise<ScriptPackage> {
  if (!isPlainObject(source) || typeof source.path !== 'string') {
    throw errors.invalidArgument(`om.scripts.put takes { path } of a .js/.mjs file or a package directory, or module source text`, { name })
  }
  const info = await stat(source.path).catch(() => undefined)
  if (!info) throw errors.invalidArgument(`script "${name}": no file or directory at ${source.path}`, { name, path: source.path })
  if (info.isFile()) {
    const file = basename(source.path)
    if (!['.js', '.mjs'].includes(extname(file))) throw errors.invalidArgument(`script "${name}": ${source.path} is not a .js or .mjs ES module`, { name, path: source.path })
    return new ScriptPackage(file, new Map([[file, await readFile(source.path)]]))
  }
  const files = new Map<string, Uint8Array>()
  let total = 0
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(full)
      } else if (entry.isFile()) {
        const bytes = await readFile(full)
        total += bytes.byteLength
        if (total > MAX_PACKAGE_BYTES) throw errors.invalidArgument(`script "${name}": ${source.path} holds more than ${MAX_PACKAGE_BYTES >> 20} MiB; a script is code, keep data in om.datasets`, { name })
        files.set(relative(source.path, full).split(sep).join('/'), bytes)
      }
    }
  }
  await walk(source.path)
  const manifest = files.get('package.json')
  if (!manifest) throw errors.invalidArgument(`script "${name}": directory ${source.path} has no package.json naming its module (main or exports)`, { name, path: source.path })
  let json: Record<string, unknown>
  try {
    json = JSON.parse(new TextDecoder().decode(manifest)) as Record<string, unknown>
  } catch (err) {
    throw errors.invalidArgument(`script "${name}": ${source.path}/package.json is not valid JSON (${(err as Error).message})`, { name })
  }
  const entry = posix.normalize(entryOf(json))
  if (!files.has(entry)) throw errors.invalidArgument(`script "${name}": package.json names ${entry} as its module, but the directory has no such file`, { name, entry })
  if (!(entry.endsWith('.mjs') || (entry.endsWith('.js') && json.type === 'module'))) {
    throw errors.invalidArgument(`script "${name}": ${entry} is not an ES module; use .mjs or set "type": "module" in package.json`, { name, entry })
  }
  return new ScriptPackage(entry, files)
}

/** `exports` (string, `{ ".": … }` or conditions with import/default), else `main`, else index.js. */
function entryOf(json: Record<string, unknown>): string {
  let exp: unknown = json.exports
  if (isPlainObject(exp) && '.' in exp) exp = exp['.']
  while (isPlainObject(exp)) exp = exp.import ?? exp.node ?? exp.default
  if (typeof exp === 'string') return exp
  return typeof json.main === 'string' ? json.main : 'index.js'
}

/** Parses every ES module of the package (so a syntax error shows at put, not at 6 AM) and finds `run`. */
function checkScript(pkg: ScriptPackage, name: string): void {
  // A .js file is a module in a single-file script and in a "type": "module" package; else it is CommonJS, not parsed as a module.
  const jsIsModule = !pkg.files.has('package.json') || isModulePackage(pkg)
  const programs = new Map<string, Program>()
  for (const path of pkg.files.keys()) {
    if (path.endsWith('.mjs') || (path.endsWith('.js') && (path === pkg.entry || jsIsModule))) programs.set(path, parseModule(pkg.source(path), path, name))
  }
  if (!exportsRun(pkg.entry, programs, new Set())) {
    throw errors.invalidArgument(`script "${name}": ${pkg.entry} does not export run; write \`export async function run(om, args) { … }\``, { name, entry: pkg.entry })
  }
}

function isModulePackage(pkg: ScriptPackage): boolean {
  try {
    return (JSON.parse(pkg.source('package.json')) as { type?: unknown }).type === 'module'
  } catch {
    return false
  }
}

function parseModule(text: string, path: string, name: string): Program {
  try {
    return parse(text, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true })
  } catch (err) {
    const e = err as { message: string; loc?: { line: number; column: number } }
    throw errors.invalidArgument(`script "${name}": syntax error in ${path}${e.loc ? ` at line ${e.loc.line}, column ${e.loc.column + 1}` : ''}: ${e.message.replace(/ \(\d+:\d+\)$/, '')}`, {
      name,
      file: path,
      ...(e.loc && { line: e.loc.line, column: e.loc.column + 1 }),
    })
  }
}

/**
 * Whether a module exports `run`: declared (`export function run`, `export const run`), listed
 * (`export { x as run }`), or re-exported from a file of the package (`export * from './x.js'`).
 * Only the syntax is read; top-level code is never executed at put.
 */
function exportsRun(path: string, programs: ReadonlyMap<string, Program>, seen: Set<string>): boolean {
  const program = programs.get(path)
  if (!program || seen.has(path)) return false
  seen.add(path)
  for (const node of program.body as Node[]) {
    if (node.type === 'ExportNamedDeclaration') {
      const n = node as unknown as { declaration?: { type: string; id?: { name: string }; declarations?: { id: { type: string; name?: string } }[] }; specifiers: { exported: { name?: string; value?: string } }[] }
      const d = n.declaration
      if (d?.id?.name === 'run') return true
      if (d?.declarations?.some((v) => v.id.type === 'Identifier' && v.id.name === 'run')) return true
      if (n.specifiers.some((s) => (s.exported.name ?? s.exported.value) === 'run')) return true
    } else if (node.type === 'ExportAllDeclaration') {
      const n = node as unknown as { exported: unknown; source: { value: string } }
      if (n.exported === null && n.source.value.startsWith('.') && exportsRun(posix.join(posix.dirname(path), n.source.value), programs, seen)) return true
    }
  }
  return false
}
