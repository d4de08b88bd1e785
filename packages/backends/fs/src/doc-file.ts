import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { errors, type JsonObject } from '@omega/core'

/** What a document file holds: the key (names may be hashed in paths), the revision and the document. */
export interface FileDoc {
  key: string
  rev: string
  doc: JsonObject
}

/** A document file that cannot be parsed (torn by a crash outside omega, edited by hand…). */
export class Unreadable {
  constructor(readonly reason: string) {}
}

/**
 * The parsed document file, undefined if absent, {@link Unreadable} if it cannot be parsed.
 * Synchronous, like every metadata file operation of this backend (package README, "Synchronous
 * metadata calls"): a document of a few KB is read in a few microseconds, less than the main
 * thread spends handing one asynchronous call to libuv's thread pool and taking its answer back.
 */
export function readDocFile(path: string): FileDoc | Unreadable | undefined {
  let text: string
  try {
    text = readSmallFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined
    throw err
  }
  let file: FileDoc
  try {
    file = JSON.parse(text) as FileDoc
  } catch (err) {
    return new Unreadable(`invalid JSON (${text.length} bytes): ${(err as Error).message}`)
  }
  if (typeof file !== 'object' || file === null || typeof file.key !== 'string' || typeof file.rev !== 'string' || typeof file.doc !== 'object' || file.doc === null) {
    return new Unreadable('not a document file (key, rev and doc expected)')
  }
  return file
}

/** Documents up to this size are read with one read call. */
const SMALL_DOC = 16 * 1024

/** One buffer for every small read: the reads are synchronous, so no two use it at once. */
const scratch = Buffer.allocUnsafe(SMALL_DOC)

/** A file's text with one open, one read and one close for the usual document of a few KB; a larger one is read on. */
function readSmallFile(path: string): string {
  const fd = openSync(path, 'r')
  try {
    // From the current position (not at 0), so that readFileSync below goes on where this read stopped.
    const bytesRead = readSync(fd, scratch, 0, SMALL_DOC, null)
    if (bytesRead < SMALL_DOC) return scratch.toString('utf8', 0, bytesRead)
    return Buffer.concat([scratch, readFileSync(fd)]).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** {@link readDocFile} for callers that need the document: an unreadable one is E_INTEGRITY naming `key`. */
export function readDoc(path: string, key: string): FileDoc | undefined {
  const file = readDocFile(path)
  if (file instanceof Unreadable) throw errors.unreadableDocument(key, file.reason)
  return file
}

/** {@link readDoc} where an older store may have kept a long key: a path too long for this system holds nothing. */
export function readDocIfFits(path: string, key: string): FileDoc | undefined {
  try {
    return readDoc(path, key)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return undefined
    throw err
  }
}
