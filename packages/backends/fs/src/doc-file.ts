import { readFile } from 'node:fs/promises'
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
    text = await readFile(path, 'utf8')
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
