import { existsSync } from 'node:fs'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import type { ScriptPackage } from './script-package.js'

/**
 * Where stored scripts are extracted to run: `$OMEGA_SCRIPT_CACHE`, else `.cache/omega-scripts`
 * inside the nearest `node_modules` above the working directory, so that a script's bare imports
 * (`import { x } from 'some-lib'`) resolve to the application's own dependencies; else the OS temp
 * directory (then only Node built-ins and relative imports resolve).
 */
export function scriptCacheDir(): string {
  const configured = process.env.OMEGA_SCRIPT_CACHE
  if (configured) return configured
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'omega-scripts')
    if (dirname(dir) === dir) return join(tmpdir(), 'omega-scripts')
  }
}

const extracted = new Map<string, Promise<string>>()

/**
 * The file URL of a stored script's entry module, extracting its files once per sha256 (per
 * process; a directory another process extracted is reused). Extraction writes a sibling
 * directory and renames it into place, so a reader never sees half a script.
 */
export async function materializeScript(sha256: string, load: () => Promise<ScriptPackage>): Promise<string> {
  const root = scriptCacheDir()
  const key = `${root}|${sha256}`
  let pending = extracted.get(key)
  if (!pending) {
    pending = extract(root, sha256, load)
    extracted.set(key, pending)
    pending.catch(() => extracted.delete(key))
  }
  return await pending
}

async function extract(root: string, sha256: string, load: () => Promise<ScriptPackage>): Promise<string> {
  const dir = join(root, sha256)
  const pkg = await load()
  const entryUrl = pathToFileURL(join(dir, pkg.entry)).href
  if (existsSync(join(dir, '.complete'))) return entryUrl
  const staging = join(root, `.${sha256}-${randomUUID()}`)
  try {
    for (const [path, bytes] of pkg.files) {
      await mkdir(dirname(join(staging, path)), { recursive: true })
      await writeFile(join(staging, path), bytes)
    }
    await mkdir(staging, { recursive: true })
    // A single file is a module whatever its extension (.js too), like module source text.
    if (!pkg.files.has('package.json')) await writeFile(join(staging, 'package.json'), '{ "type": "module" }\n')
    await writeFile(join(staging, '.complete'), '')
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another thread or process extracted the same script first: theirs is identical.
      if (!existsSync(join(dir, '.complete'))) throw err
    })
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  return entryUrl
}
