import { open } from 'node:fs/promises'
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

/** The parsed document file, undefined if absent, {@link Unreadable} if it cannot be parsed. */
export async function readDocFile(path: string): Promise<FileDoc | Unreadable | undefined> {
  let text: string
  try {
    text = await readSmallFile(path)
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

/**
 * A file's text with one open, one read and one close for the usual document of a few KB
 * (`readFile` also stats the file first: one more thread-pool round trip per document, and a
 * drop or a listing reads many). A larger file is read on with `readFile`'s loop.
 */
async function readSmallFile(path: string): Promise<string> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafe(SMALL_DOC)
    // From the current position (not at 0), so that readFile below goes on where this read stopped.
    const { bytesRead } = await handle.read(buffer, 0, SMALL_DOC, null)
    if (bytesRead < SMALL_DOC) return buffer.toString('utf8', 0, bytesRead)
    const rest = await handle.readFile()
    return Buffer.concat([buffer, rest]).toString('utf8')
  } finally {
    await handle.close()
  }
}

/** {@link readDocFile} for callers that need the document: an unreadable one is E_INTEGRITY naming `key`. */
export async function readDoc(path: string, key: string): Promise<FileDoc | undefined> {
  const file = await readDocFile(path)
  if (file instanceof Unreadable) throw errors.unreadableDocument(key, file.reason)
  return file
}

/** For reading where an older store may have kept a long key: a path too long for this system holds nothing. */
export function ifTooLong<T>(value: T): (err: unknown) => T {
  return (err) => {
    if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return value
    throw err
  }
}
