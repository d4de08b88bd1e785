import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OmegaError, type ErrorCode, type StorageBackend } from '@omega/core'
import { afterAll, expect } from 'vitest'

/** How a backend package runs the suites. */
export interface BackendSuiteOptions {
  /** A fresh, unopened backend at `location` (a new temp location when omitted). Called many times. */
  factory(location?: string): StorageBackend | Promise<StorageBackend>
  /**
   * Flips one byte (at `offset`, default 0) of a stored blob of an open backend. Without it the
   * integrity tests are reported as skipped, never silently dropped.
   */
  tamper?(backend: StorageBackend, sha256: string, offset?: number): Promise<void>
  /** Replaces the stored document under `key` with unparseable bytes (a torn write). Without it those tests are skipped. */
  corruptDocument?(backend: StorageBackend, key: string): Promise<void>
  /**
   * Leaves a leftover of an interrupted write (a temp file, orphan chunks), last written at
   * `modifiedAt` (ms since the epoch), as a killed process would. Without it those tests are skipped.
   */
  leaveTemp?(backend: StorageBackend, modifiedAt: number): Promise<void>
  /** Extra store-level options passed to `Omega.open` (e.g. `{ fs: { fsync: false } }`). */
  openOptions?: Readonly<Record<string, unknown>>
  /** Implementation-specific tests, run inside the same describe(). */
  additionalTests?(options: BackendSuiteOptions): void
}

/** A new empty temp directory, removed when the process exits. */
export function tempDir(prefix = 'omega-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  if (!cleanupRegistered) process.once('exit', removeTempDirs)
  cleanupRegistered = true
  created.add(dir)
  return dir
}

const created = new Set<string>()
let cleanupRegistered = false

// Test files run in worker processes that vitest may end without an 'exit' event, so the
// directories are also removed after the importing test file's last test. Outside a vitest run
// (a script importing this module) there is no runner to hook into, and 'exit' is enough.
try {
  afterAll(removeTempDirs)
} catch {
  // not collected by vitest
}

/** Removes every directory {@link tempDir} made in this process (at exit: stores may still hold files open until then). */
export function removeTempDirs(): void {
  for (const dir of created) rmSync(dir, { recursive: true, force: true })
  created.clear()
}

/** Asserts that a promise rejects with an OmegaError of `code`, and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<OmegaError> {
  try {
    await promise
  } catch (err) {
    if (!OmegaError.is(err)) throw new Error(`expected OmegaError ${code}, got ${String(err)}`, { cause: err })
    expect(err.code, err.message).toBe(code)
    return err
  }
  throw new Error(`expected rejection with ${code}, but it resolved`)
}

/** Validates suite options (misuse is a TypeError, as in abstract-level). */
export function checkOptions(options: BackendSuiteOptions): void {
  if (typeof options?.factory !== 'function') throw new TypeError('conformance: options.factory must be a function')
}

/** Bytes 0..255 repeated to `length`. */
export function everyByte(length = 256 * 4): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i % 256)
}

/** Yields `bytes` in chunks of `size`, optionally throwing after `failAfter` chunks. */
export async function* chunked(bytes: Uint8Array, size: number, failAfter?: number): AsyncIterable<Uint8Array> {
  let n = 0
  for (let i = 0; i < bytes.byteLength; i += size) {
    if (failAfter !== undefined && n++ >= failAfter) throw new Error('source failed mid-stream')
    yield bytes.subarray(i, i + size)
  }
}
