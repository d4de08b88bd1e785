import { createHash, randomBytes } from 'node:crypto'
import { closeSync, fstatSync, futimesSync, linkSync, openSync, readFileSync, readlinkSync, statSync, writeSync } from 'node:fs'
import { link, open, readFile, unlink, type FileHandle } from 'node:fs/promises'
import { hostname } from 'node:os'
import { threadId } from 'node:worker_threads'
import { OmegaError } from '@omega/core'
import { unlinkQuietly } from './file-ops.js'

/** Timings of document locks; tests shorten them. */
export interface LockTimings {
  /** How long a writer waits for a lock held by a live owner before giving up with E_LOCKED. */
  readonly waitMs: number
  /** How often a holder refreshes its lock file's mtime (its lease). */
  readonly refreshMs: number
  /**
   * A lock whose owner cannot be checked by process id (another host, another pid namespace, a
   * system without /proc) is stale once its mtime is older than this: many missed refreshes.
   */
  readonly leaseMs: number
}

export const LOCK_TIMINGS: LockTimings = { waitMs: 20_000, refreshMs: 2_000, leaseMs: 30_000 }

/** Who holds a lock: written into the lock file, complete from the moment the file exists. */
export interface LockOwner {
  /** Unique per acquisition: identifies this lock file among all that ever had its name. */
  readonly token: string
  readonly pid: number
  readonly thread: number
  readonly host: string
  /** Linux boot id: the same host name after a reboot, or on another machine, is another system. */
  readonly boot?: string
  /** Linux pid namespace: pids of containers sharing a host name are not comparable across them. */
  readonly pidns?: string
  /** Start time of the process (Linux /proc/<pid>/stat field 22): tells a reused pid from the holder. */
  readonly start?: string
  /** When the lock was taken (ISO), for messages. */
  readonly since: string
}

/** A lock file as observed once: its owner (if readable), identity and mtime. */
export interface ObservedLock {
  readonly owner?: LockOwner
  /** Old-format locks hold only a pid. */
  readonly legacyPid?: number
  /** The owner's token, or for old-format files the inode and change time. */
  readonly identity: string
  readonly mtimeMs: number
}

interface Verdict {
  readonly stale: boolean
  readonly why: string
}

/**
 * Tokens of locks this thread holds (or is about to hold): a lock of ours not in here is a leftover.
 * Kept on the global object so that two copies of this package in one thread share it.
 */
const held: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('omega.fs.heldLocks')] ??= new Set<string>()) as Set<string>

let me: Omit<LockOwner, 'token' | 'since'> | undefined

/** Random per copy of this module (per thread), so that tokens are unique across processes and threads. */
const tokenPrefix = randomBytes(12).toString('base64url')
let tokenCount = 0

/** A token never used before by any acquisition anywhere: a random prefix and a counter (no random bytes per lock). */
function newToken(): string {
  return `${tokenPrefix}.${(tokenCount++).toString(36)}`
}

/** This process's identity, computed once. */
export function selfIdentity(): Omit<LockOwner, 'token' | 'since'> {
  if (me) return me
  const optional = (read: () => string): string | undefined => {
    try {
      return read()
    } catch {
      return undefined
    }
  }
  const boot = optional(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
  const pidns = optional(() => readlinkSync('/proc/self/ns/pid'))
  const start = optional(() => parseStat(readFileSync(`/proc/${process.pid}/stat`, 'utf8'))?.start ?? '')
  me = {
    pid: process.pid,
    thread: threadId,
    host: hostname(),
    ...(boot && { boot }),
    ...(pidns && { pidns }),
    ...(start && { start }),
  }
  return me
}

/** State (field 3) and start time (field 22) of a /proc/<pid>/stat line; comm may hold spaces and ")". */
function parseStat(line: string): { state: string; start: string } | undefined {
  const fields = line.slice(line.lastIndexOf(')') + 1).trim().split(/\s+/)
  const state = fields[0]
  const start = fields[19]
  return state && start ? { state, start } : undefined
}

async function procStat(pid: number): Promise<{ state: string; start: string } | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/**
 * Runs `fn` while holding `<path>.lock`, so exactly one writer (process, thread or async caller)
 * at a time runs it: compare-and-set across processes on a plain file system.
 *
 * The lock file is written completely in a temp file, then published with link(2), which fails
 * if a lock exists: a lock file is never seen half-written, and a writer killed at any point
 * leaves either no lock or one that names it. (Creating the lock with O_EXCL and writing its owner
 * after saves two calls, but a writer killed between the two leaves a lock naming nobody, which
 * others can only judge by its age: 30 s of waiting; a glob drop killed mid-way in
 * packages/backends/fs/test/trash.test.ts left such locks.)
 * It names its owner ({@link LockOwner}). A waiter breaks a lock only when its owner is provably
 * gone ({@link assessLock}) and then only through {@link breakStaleLock}, which can never remove
 * any other lock than the stale one.
 *
 * Taking and releasing a free lock are synchronous system calls (open, write, link, unlink,
 * fstat; close, stat, unlink): each costs a few microseconds, less than one asynchronous call's
 * round trip through the thread pool. Only waiting for a held lock is asynchronous.
 *
 * @param tempPath where to write the lock's content before publishing it (same file system).
 * @throws {OmegaError} E_LOCKED after `waitMs` while a live owner holds it, naming pid and host.
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { readonly tempPath?: string; readonly timings?: Partial<LockTimings> } = {},
): Promise<T> {
  const t = { ...LOCK_TIMINGS, ...options.timings }
  const lockPath = `${path}.lock`
  const owner: LockOwner = { ...selfIdentity(), token: newToken(), since: new Date().toISOString() }
  const tempPath = options.tempPath ?? `${lockPath}.${owner.token}`
  const started = Date.now()
  held.add(owner.token)
  let fd: number | undefined
  try {
    fd = openSync(tempPath, 'wx')
    writeSync(fd, JSON.stringify(owner))
    let last: { seen: ObservedLock; verdict: Verdict } | undefined
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tempPath, lockPath)
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const seen = await observeLock(lockPath)
      if (seen) {
        const verdict = await assessLock(seen, t)
        if (!verdict.stale) last = { seen, verdict }
        else if (await breakStaleLock(lockPath, seen, t, `${tempPath}.b`)) continue
      }
      if (Date.now() - started > t.waitMs) throw lockedError(lockPath, last, t.waitMs)
      await new Promise((r) => setTimeout(r, Math.min(20, 1 + attempt) * Math.random() + 1))
    }
  } catch (err) {
    held.delete(owner.token)
    if (fd !== undefined) closeQuietly(fd)
    unlinkQuietly(tempPath)
    throw err
  }
  unlinkQuietly(tempPath)
  const lockFd = fd
  const ino = inode(() => fstatSync(lockFd))
  // The lease: the open descriptor is the lock's own inode, so the refresh can touch no other file.
  // Synchronous, so that it never runs on a descriptor closed (and reused) meanwhile.
  const timer = setInterval(() => {
    const now = new Date()
    try {
      futimesSync(lockFd, now, now)
    } catch {
      // A failed refresh shortens the lease; the next one tries again.
    }
  }, t.refreshMs)
  timer.unref()
  try {
    return await fn()
  } finally {
    clearInterval(timer)
    closeQuietly(lockFd)
    // Only a lease-expired lock (a holder stalled for leaseMs) can have been replaced: leave that
    // one alone. One stat(2) of the path tells (lock files are plain files, never links).
    if (ino === undefined || inode(() => statSync(lockPath, { throwIfNoEntry: false })) === ino) unlinkQuietly(lockPath)
    held.delete(owner.token)
  }
}

function inode(stat: () => { readonly ino: number } | undefined): number | undefined {
  try {
    return stat()?.ino
  } catch {
    return undefined
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // Already closed: nothing holds it.
  }
}

/** Reads a lock file (content and mtime of one inode), or undefined if there is none. */
export async function observeLock(lockPath: string): Promise<ObservedLock | undefined> {
  let handle: FileHandle
  try {
    handle = await open(lockPath, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    const [text, st] = await Promise.all([handle.readFile('utf8'), handle.stat()])
    const owner = parseOwner(text)
    if (owner) return { owner, identity: owner.token, mtimeMs: st.mtimeMs }
    const pid = /^\s*(\d+)\s*$/.exec(text)?.[1]
    return { ...(pid && { legacyPid: Number(pid) }), identity: `ino:${st.ino}:${st.ctimeMs}`, mtimeMs: st.mtimeMs }
  } finally {
    await handle.close()
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>
    const ok = typeof o.token === 'string' && Number.isSafeInteger(o.pid) && o.pid! > 0 && typeof o.host === 'string'
    return ok ? ({ thread: 0, since: '', ...o } as LockOwner) : undefined
  } catch {
    return undefined
  }
}

/**
 * Decides whether a lock's owner is gone. A lock of this host (same host name, boot id and pid
 * namespace) is checked by pid: stale only if no such process exists, it is a zombie, or its start
 * time differs (the pid was reused). A live process's lock is never stale, however old. A lock of
 * another thread of this process is never stale. Anything that cannot be checked by pid (another
 * host on a shared file system, another container, no /proc) is a lease: stale when its mtime,
 * refreshed every `refreshMs` while held, is older than `leaseMs`.
 */
export async function assessLock(seen: ObservedLock, t: LockTimings = LOCK_TIMINGS): Promise<Verdict> {
  const self = selfIdentity()
  const age = Date.now() - seen.mtimeMs
  const lease = (who: string): Verdict =>
    age > t.leaseMs
      ? { stale: true, why: `${who}: lease not refreshed for ${Math.round(age / 1000)} s` }
      : { stale: false, why: `${who}: lease refreshed ${Math.round(age / 1000)} s ago` }
  const o = seen.owner
  if (!o) {
    if (seen.legacyPid !== undefined && !pidExists(seen.legacyPid)) return { stale: true, why: `process ${seen.legacyPid} is gone` }
    return lease('lock of an older version')
  }
  const local = o.host === self.host && o.boot === self.boot && o.pidns === self.pidns
  if (!local) return lease(`pid ${o.pid} on host ${o.host}`)
  if (o.pid === self.pid && o.start === self.start) {
    if (o.thread !== self.thread) return { stale: false, why: `thread ${o.thread} of this process` }
    return held.has(o.token) ? { stale: false, why: 'this thread' } : { stale: true, why: 'left by this thread' }
  }
  if (!pidExists(o.pid)) return { stale: true, why: `process ${o.pid} is gone` }
  const stat = await procStat(o.pid)
  if (stat && (stat.state === 'Z' || stat.state === 'X')) return { stale: true, why: `process ${o.pid} has exited` }
  if (stat && o.start !== undefined) {
    return stat.start === o.start
      ? { stale: false, why: `process ${o.pid} is alive` }
      : { stale: true, why: `process ${o.pid} is gone (its pid now belongs to another process)` }
  }
  return lease(`pid ${o.pid} (no /proc to tell a reused pid)`)
}

/** The id in the names of the guards that breakers of the lock observed as `seen` take. */
export function guardId(seen: ObservedLock): string {
  return createHash('sha256').update(seen.identity).digest('hex').slice(0, 16)
}

/**
 * Removes the lock observed as `seen`, and nothing else, however many waiters try at once.
 *
 * A breaker first takes a guard `<lock>.break-<id of seen>-<n>` (published with link(2), so
 * exclusive), then re-reads the lock and unlinks it only if it still is `seen`. While a live
 * breaker holds a guard of `seen`, nobody else can unlink `seen` (its owner is gone, other
 * breakers of `seen` wait for the guard, breakers of other locks re-check identity), so the file
 * unlinked is `seen`: a lock taken meanwhile by a live writer is never removed. Once `seen` is
 * gone it can never come back (tokens are unique), so later breakers holding stale observations
 * find another identity and do nothing. A guard left by a breaker that died is judged like a lock
 * ({@link assessLock}) and skipped by taking the next `<n>`.
 *
 * @returns true if this call removed the stale lock.
 */
export async function breakStaleLock(
  lockPath: string,
  seen: ObservedLock,
  t: LockTimings = LOCK_TIMINGS,
  tempPath?: string,
): Promise<boolean> {
  const guard = (n: number): string => `${lockPath}.break-${guardId(seen)}-${n}`
  const owner: LockOwner = { ...selfIdentity(), token: newToken(), since: new Date().toISOString() }
  const temp = tempPath ?? `${lockPath}.${owner.token}`
  held.add(owner.token)
  try {
    const h = await open(temp, 'wx')
    try {
      await h.writeFile(JSON.stringify(owner))
    } finally {
      await h.close()
    }
    for (let n = 0, vanished = 0; n < 64; n++) {
      try {
        await link(temp, guard(n))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        const other = await observeLock(guard(n))
        if (!other && vanished++ < 8) {
          n-- // its breaker just finished: try the same guard again
          continue
        }
        if (!other) return false
        if ((await assessLock(other, t)).stale) continue
        return false
      }
      let removed = false
      try {
        if ((await observeLock(lockPath))?.identity === seen.identity) {
          await unlink(lockPath)
          removed = true
        }
      } finally {
        for (let k = 0; k <= n; k++) await unlink(guard(k)).catch(() => undefined)
      }
      return removed
    }
    return false
  } finally {
    held.delete(owner.token)
    await unlink(temp).catch(() => undefined)
  }
}

function lockedError(lockPath: string, last: { seen: ObservedLock; verdict: Verdict } | undefined, waitMs: number): OmegaError {
  const seen = last?.seen
  const o = seen?.owner
  const who = o
    ? `process ${o.pid} on host ${o.host} (since ${o.since})`
    : seen?.legacyPid !== undefined
      ? `process ${seen.legacyPid}`
      : 'another writer'
  return new OmegaError(
    'E_LOCKED',
    `document lock "${lockPath}" is held by ${who}${last ? ` (${last.verdict.why})` : ''}; gave up after ${Math.round(waitMs / 1000)} s. ` +
      'A lock of a process that has exited is broken automatically; retry later',
    {
      details: {
        location: lockPath,
        ...(o && { pid: o.pid, host: o.host, since: o.since }),
        ...(seen?.legacyPid !== undefined && { pid: seen.legacyPid }),
      },
    },
  )
}
