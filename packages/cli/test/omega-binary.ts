// Spawning the real `omega` binary as a user runs it, for the CLI tests.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { expect } from 'vitest'

export const BIN = join(import.meta.dirname, '../bin/omega.js')

export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** A running `omega …`, its output so far, and its end. */
export interface Running {
  readonly child: ChildProcessByStdio<null, Readable, Readable>
  readonly output: { stdout: string; stderr: string }
  readonly done: Promise<Ran>
}

/** Starts `omega …` in a child process with stdout and stderr piped (not a terminal). */
export function startOmega(args: readonly string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, OMEGA_STORE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()))
  const done = new Promise<Ran>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, ...output }))
  })
  return { child, output, done }
}

/** Runs `omega …` to its end. */
export async function omega(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return await startOmega(args, env).done
}

/** `omega --json …` that must succeed: its one JSON value. */
export async function json(store: string, args: readonly string[]): Promise<unknown> {
  const ran = await omega(['--store', store, '--json', ...args])
  expect(ran.stderr, `omega ${args.join(' ')}`).toBe('')
  expect(ran.code).toBe(0)
  return JSON.parse(ran.stdout) as unknown
}
