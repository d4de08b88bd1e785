import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const created: string[] = []

/** A new temp directory for a benchmark's stores, removed when the benchmark process exits. */
export function benchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (created.length === 0) process.once('exit', () => created.forEach((d) => rmSync(d, { recursive: true, force: true })))
  created.push(dir)
  return dir
}
